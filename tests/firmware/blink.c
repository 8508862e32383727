/* A blinker driven by the Timer16 interrupt. T16 counts the 16 MHz IHRC (two ticks per
   cycle of the 8 MHz system clock) through its /16 prescaler and requests an interrupt
   each time its bit 10 rises: every 2^11 * 16 / 2 = 16384 cycles. The ISR toggles the LED
   on PA4 every TICKS_PER_TOGGLE interrupts, so the LED changes every
   16384 * TICKS_PER_TOGGLE cycles exactly; main sleeps in stopexe between interrupts,
   which is why T16 is not on the system clock: in stopexe a timer on the system clock
   stops and cannot wake the chip (DS 5.10.1). `uptime` counts the interrupts in 32 bits. */
#include "pms150c.h"

#ifndef TICKS_PER_TOGGLE
#define TICKS_PER_TOGGLE 4
#endif
#define LED 0x10 /* PA4 */

volatile unsigned char ticks;
volatile unsigned long uptime;
volatile unsigned char toggles;

STARTUP(CLKMD_IHRC_DIV2)

void timer_isr(void) __interrupt(0)
{
    intrq = 0; /* only T16 is enabled: clear its request */
    uptime++;
    if (++ticks == TICKS_PER_TOGGLE) {
        ticks = 0;
        pa ^= LED;
        toggles++;
    }
}

void main(void)
{
    pac = LED;
    pa = 0;
    t16m = 0x92; /* source IHRC, prescaler /16, interrupt on bit 10 */
    inten = INT_T16;
    intrq = 0;
    __asm__("engint");
    for (;;)
        __asm__("stopexe\n nop");
}
