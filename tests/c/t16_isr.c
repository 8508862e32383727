/* An interrupt routine in C: Timer16 counts the system clock, its bit-8 rising edge requests
   an interrupt every 512 counts, the ISR counts them, main sleeps in a loop until it has seen
   TICKS of them. Exercises SDCC's interrupt entry (push af ... pop af, reti) and engint. */
__sfr __at(0x03) clkmd;
__sfr __at(0x04) inten;
__sfr __at(0x05) intrq;
__sfr __at(0x06) t16m;

#ifndef TICKS
#define TICKS 5
#endif

volatile unsigned char ticks;

void timer_isr(void) __interrupt(0)
{
    if (intrq & 0x04) {
        intrq &= ~0x04;
        ticks++;
    }
}

unsigned char _sdcc_external_startup(void)
{
    clkmd = 0xF4; /* ILRC system clock, watchdog off */
    return 0;
}

void main(void)
{
    inten = 0x04;
    t16m = 0x20; /* source CLK, prescaler /1, interrupt on bit 8 */
    __asm__("engint");
    while (ticks < TICKS)
        ;
    __asm__("disgint");
    __asm__("stopsys");
    for (;;)
        ;
}
