/* The IHRC calibration loop as the easy-pdk programmer runs it (EASY_PDK_CALIBRATE_IHRC):
   the firmware raises PA3 once a loop turn, so the programmer can measure the system
   clock; while the clock is below its target the programmer holds PA4 high for a turn,
   and the firmware steps the trim IHRCR up by one code. The loop starts at code 0, the
   slowest IHRC. `code` holds the trim in force. */
#include "pms150c.h"

volatile unsigned char code;

STARTUP(CLKMD_IHRC_DIV2)

void main(void)
{
    pac = 0x08; /* PA3 output; PA4 an input */
    code = 0;
    ihrcr = 0;
    for (;;) {
        pa = 0x08;
        if (pa & 0x10) /* the programmer asks for a faster clock */
            ihrcr = ++code;
        pa = 0;
    }
}
