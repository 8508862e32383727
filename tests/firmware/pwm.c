/* A PWM on PA3 from Timer2: 8-bit PWM mode, clocked by the 16 MHz IHRC (prescaler and
   scaler 1), so the period is 256 IHRC ticks = 16 us (62.5 kHz) and the output is high
   while TM2CT <= TM2B: a duty of (DUTY + 1) / 256. At the 8 MHz system clock that is two
   counts per cycle: with DUTY = 10 the pin is high for 5.5 cycles of every 128. main then
   sleeps in stopexe (Timer2 on the IHRC keeps running there). */
#include "pms150c.h"

#ifndef DUTY
#define DUTY 10
#endif

STARTUP(CLKMD_IHRC_DIV2)

void main(void)
{
    tm2b = DUTY;
    tm2s = 0;    /* prescaler /1, scaler /1 */
    tm2c = 0x2A; /* source IHRC, output on PA3, PWM mode */
    for (;;)
        __asm__("stopexe");
}
