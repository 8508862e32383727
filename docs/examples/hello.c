/* "Hello\n" on PA7 at 115200 baud (8N1) once the button on PA5 is pressed.

   Timer2 counts the 16 MHz IHRC through its scaler /2 in period mode with TM2B = 68: an
   interrupt every 138 IHRC ticks = 8.625 us, one bit time (115942 baud, 0.6 % fast). The
   interrupt routine writes the bit it prepared the time before, then prepares the next
   one: a 0 start bit, 8 data bits LSB first, a 1 stop bit. */
__sfr __at(0x03) clkmd;
__sfr __at(0x04) inten;
__sfr __at(0x05) intrq;
__sfr __at(0x09) tm2b;
__sfr __at(0x10) pa;
__sfr __at(0x11) pac;
__sfr __at(0x12) paph;
__sfr __at(0x17) tm2s;
__sfr __at(0x1c) tm2c;

#define TX 0x80     /* PA7 */
#define BUTTON 0x20 /* PA5, low while pressed */

volatile unsigned char tx_pa = TX; /* the level to write at the next interrupt */
volatile unsigned char tx_byte;    /* data bits still to prepare, LSB first */
volatile unsigned char tx_bits;    /* levels still to prepare: 10 per byte */
volatile unsigned char ticks;      /* interrupts so far */

unsigned char _sdcc_external_startup(void)
{
    clkmd = 0x34; /* IHRC/2 = 8 MHz, watchdog off */
    return 0;
}

void uart_isr(void) __interrupt(0)
{
    pa = tx_pa;
    intrq = 0;
    ticks++;
    if (tx_bits) {
        tx_bits--;
        if (tx_bits == 9)
            tx_pa = 0;
        else if (tx_bits == 0)
            tx_pa = TX;
        else {
            tx_pa = (tx_byte & 1) ? TX : 0;
            tx_byte >>= 1;
        }
    }
}

static void putc(char c)
{
    unsigned char t;
    tx_byte = c;
    tx_bits = 10;
    while (tx_bits)
        ;
    t = ticks;
    while (ticks == t) /* the stop bit goes out at the next interrupt */
        ;
}

void main(void)
{
    pa = TX;
    pac = TX;
    paph = BUTTON;
    while (pa & BUTTON) /* wait for the press */
        ;
    tm2b = 68;
    tm2s = 1;    /* prescaler /1, scaler /2 */
    tm2c = 0x20; /* IHRC, period mode, no output pin */
    inten = 0x40;
    intrq = 0;
    __asm__("engint");
    for (const char *p = "Hello\n"; *p; p++)
        putc(*p);
    for (;;)
        ;
}
