/* An LED on PA4 that changes every 10.24 ms, and the CRC-8 a serial protocol would use.

   Timer16 counts the 16 MHz IHRC through its /16 prescaler and interrupts each time its
   bit 10 rises: every 2^11 * 16 IHRC ticks = 16384 cycles of the 8 MHz system clock
   (2.048 ms). The interrupt routine toggles the LED every 5th time: 81920 cycles. */
__sfr __at(0x03) clkmd;
__sfr __at(0x04) inten;
__sfr __at(0x05) intrq;
__sfr __at(0x06) t16m;
__sfr __at(0x10) pa;
__sfr __at(0x11) pac;

#define LED 0x10 /* PA4 */

volatile unsigned char ticks;

unsigned char _sdcc_external_startup(void)
{
    clkmd = 0x34; /* IHRC/2 = 8 MHz, watchdog off */
    return 0;
}

/* CRC-8/MAXIM (polynomial x^8 + x^5 + x^4 + 1, reflected: 0x8C), one byte at a time. */
unsigned char crc8(unsigned char crc, unsigned char data)
{
    crc ^= data;
    for (unsigned char i = 0; i < 8; i++)
        crc = (crc & 1) ? (crc >> 1) ^ 0x8C : crc >> 1;
    return crc;
}

void timer_isr(void) __interrupt(0)
{
    intrq = 0;
    if (++ticks == 5) {
        ticks = 0;
        pa ^= LED;
    }
}

void main(void)
{
    pac = LED;
    pa = 0;
    t16m = 0x92; /* source IHRC, prescaler /16, interrupt on bit 10 */
    inten = 0x04; /* T16 */
    intrq = 0;
    __asm__("engint");
    for (;;)
        __asm__("stopexe\n nop");
}
