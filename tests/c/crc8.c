/* CRC-8 (polynomial 0x07, initial value 0, no reflection) of a string kept in ROM.
   The string is read through SDCC's ROM table code; the test passes it with -DMESSAGE. */
__sfr __at(0x03) clkmd;

#ifndef MESSAGE
#define MESSAGE "123456789"
#endif

const char message[] = MESSAGE;
volatile unsigned char crc;
volatile unsigned char length;

unsigned char _sdcc_external_startup(void)
{
    clkmd = 0xF4; /* ILRC system clock, watchdog off */
    return 0;
}

void main(void)
{
    unsigned char c = 0;
    unsigned char n = 0;
    for (const char *p = message; *p; p++) {
        c ^= (unsigned char)*p;
        for (unsigned char bit = 0; bit < 8; bit++)
            c = (c & 0x80) ? (unsigned char)((c << 1) ^ 0x07) : (unsigned char)(c << 1);
        n++;
    }
    crc = c;
    length = n;
    __asm__("stopsys");
    for (;;)
        ;
}
