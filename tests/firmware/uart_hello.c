/* "Hello\n" at 115200 baud (8N1) on PA7, bit-banged from the Timer2 interrupt.
   Timer2 counts the 16 MHz IHRC through its scaler /2 in period mode with TM2B = 68: an
   interrupt every 69 * 2 IHRC ticks = 69 cycles of the 8 MHz system clock, one bit time
   (8 MHz / 69 = 115942 baud, 0.6 % fast). The ISR first writes the level it prepared at
   the previous interrupt, then prepares the next one: a 0 start bit, 8 data bits LSB
   first, a 1 stop bit. main waits awake: a sleep would not do, its wake-up time (32 ILRC
   clocks, 0.54 ms; DS 5.10.3) is far longer than a bit (8.7 us). So an edge comes after
   the instruction in progress when the interrupt arrives: 69 +- 1 cycles apart. */
#include "pms150c.h"

#define TX 0x80 /* PA7 */
#ifndef BIT_CYCLES /* Timer2 counts per bit: 2 IHRC ticks each */
#define BIT_CYCLES 69
#endif
#ifndef CLOCK /* the system clock: the bit time does not depend on it */
#define CLOCK CLKMD_IHRC_DIV2
#endif
#define BUTTON 0x20 /* PA5: with -DWAIT_BUTTON, "Hello" goes out once it is pressed */

volatile unsigned char tx_pa = TX; /* the level to write at the next interrupt */
volatile unsigned char tx_byte;    /* data bits still to prepare, LSB first */
volatile unsigned char tx_bits;    /* levels still to prepare: 10 per byte */
volatile unsigned char sent;
volatile unsigned char interrupts; /* Timer2 interrupts so far (modulo 256) */

const char message[] = "Hello\n";

STARTUP(CLOCK)

void uart_isr(void) __interrupt(0)
{
    pa = tx_pa;
    intrq = 0;
    interrupts++;
    if (tx_bits) {
        tx_bits--;
        if (tx_bits == 9) {
            tx_pa = 0; /* start bit */
        } else if (tx_bits == 0) {
            tx_pa = TX; /* stop bit */
        } else {
            tx_pa = (tx_byte & 1) ? TX : 0;
            tx_byte >>= 1;
        }
    }
}

static void uart_putc(char c)
{
    unsigned char seen;
    tx_byte = c;
    tx_bits = 10;
    while (tx_bits) /* the stop bit is prepared last ... */
        ;
    seen = interrupts;
    while (interrupts == seen) /* ... and written at the next interrupt */
        ;
}

void main(void)
{
    pa = TX; /* idle high */
    pac = TX;
#ifdef WAIT_BUTTON
    paph = BUTTON; /* released, the pull-up holds it high */
    while (pa & BUTTON)
        ;
#endif
    tm2b = BIT_CYCLES - 1;
    tm2s = 1;    /* prescaler /1, scaler /2 */
    tm2c = 0x20; /* source IHRC, period mode, no output pin */
    inten = INT_TM2;
    intrq = 0;
    __asm__("engint");
    for (const char *p = message; *p; p++) {
        uart_putc(*p);
        sent++;
    }
    __asm__("disgint");
    __asm__("stopsys");
}
