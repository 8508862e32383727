/* Button to LED: a push button on PA0 pulls the pin low (the pull-up holds it high when
   released); the LED on PA4 is lit while the button is held. main polls the pin. Each
   change of the button is counted in `presses` (falling edges only). */
#include "pms150c.h"

#define BUTTON 0x01 /* PA0 */
#define LED 0x10    /* PA4 */

volatile unsigned char presses;

STARTUP(CLKMD_IHRC_DIV2)

void main(void)
{
    unsigned char was_down = 0;
    pac = LED;    /* PA4 output, PA0 input */
    paph = BUTTON; /* pull-up on the button pin */
    pa = 0;
    for (;;) {
        if (pa & BUTTON) {
            pa &= ~LED;
            was_down = 0;
        } else {
            pa |= LED;
            if (!was_down)
                presses++;
            was_down = 1;
        }
    }
}
