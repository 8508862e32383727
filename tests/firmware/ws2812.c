/* Three WS2812 LEDs on PA3: main sends one frame of 3 * 3 bytes (green, red, blue per LED),
   then holds the line low (a reset) and stops. At 8 MHz a cycle is 125 ns: a 0 bit is high
   for 3 cycles (375 ns, T0H 0.4 us +- 0.15), a 1 bit for 6 (750 ns, T1H 0.8 us +- 0.15),
   each set by set1/set0 with nops between; the loop around them makes the low time. */
#include "pms150c.h"

const unsigned char frame[] = {0xFF, 0x00, 0x00, 0x00, 0x80, 0x01, 0x12, 0x34, 0x56};
volatile unsigned char sent;

STARTUP(CLKMD_IHRC_DIV2)

static void send(unsigned char byte)
{
    for (unsigned char bit = 0; bit < 8; bit++) {
        if (byte & 0x80) {
            __asm__("set1.io _pa, #3\n nop\n nop\n nop\n nop\n nop\n set0.io _pa, #3");
        } else {
            __asm__("set1.io _pa, #3\n nop\n nop\n set0.io _pa, #3");
        }
        byte <<= 1;
    }
}

void main(void)
{
    pa = 0;
    pac = 0x08;
    for (unsigned char i = 0; i < sizeof(frame); i++) {
        send(frame[i]);
        sent++;
    }
    for (unsigned char i = 0; i < 200; i++) /* > 50 us low: the LEDs latch */
        __asm__("nop");
    __asm__("stopsys");
}
