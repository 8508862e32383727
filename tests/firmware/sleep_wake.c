/* A button on PA0 (pull-up on, pressed = 0) wakes the chip from stopsys; each wake-up
   counts and toggles the LED on PA4, then the chip sleeps again. Between the press and
   the LED lies the wake-up time tWUP (DS 5.10.3): 32 ILRC clocks with the factory fuse's
   fast boot-up, counted in cycles of the 8 MHz system clock. */
#include "pms150c.h"

#define LED 0x10 /* PA4 */

volatile unsigned char wakeups;

STARTUP(CLKMD_IHRC_DIV2)

void main(void)
{
    pac = LED;
    paph = 0x01;   /* the button's pull-up */
    padier = 0x01; /* only PA0 wakes the chip */
    for (;;) {
        __asm__("stopsys");
        wakeups++;
        pa ^= LED;
    }
}
