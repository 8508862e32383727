/* A wire: PA7 follows PA0, polled as fast as the loop goes. A serial line sent into PA0
   comes out of PA7 a few cycles later. */
#include "pms150c.h"

STARTUP(CLKMD_IHRC_DIV2)

void main(void)
{
    pa = 0x80;
    pac = 0x80;
    for (;;) {
        if (pa & 0x01)
            pa |= 0x80;
        else
            pa &= ~0x80;
    }
}
