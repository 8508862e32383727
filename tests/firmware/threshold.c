/* Threshold alarm: the comparator watches PA4 against the internal reference V_R
   (GPCS case 4, n = 7: V_R = 8/32 VDD, 1.25 V at 5 V) and the LED on PA6 shows whether
   PA4 is above it. Each rise of the comparator's result is counted in `crossings`. */
#include "pms150c.h"

__sfr __at(0x1a) gpcc;
__sfr __at(0x1e) gpcs;

#define LED 0x40       /* PA6 */
#define RESULT 0x40    /* GPCC.6 */

volatile unsigned char crossings;

STARTUP(CLKMD_IHRC_DIV2)

void main(void)
{
    unsigned char was_above = 0;
    pac = LED;
    pa = 0;
    padier = 0xe9;     /* PA4's digital input off: it is an analog input */
    gpcs = 0x37;       /* case 4 (GPCS[5:4] = 11), n = 7 */
    gpcc = 0x87;       /* enable; minus = V_R (011), plus = PA4 */
    for (;;) {
        if (gpcc & RESULT) {
            pa |= LED;
            if (!was_above)
                crossings++;
            was_above = 1;
        } else {
            pa &= ~LED;
            was_above = 0;
        }
    }
}
