/* Signed 16-bit multiply, divide and modulo through SDCC's runtime library (_mulint,
   _divsint, _modsint: C truncates the quotient toward zero). Operands from -DX=... -DY=... */
__sfr __at(0x03) clkmd;

#ifndef X
#define X -1234
#endif
#ifndef Y
#define Y 56
#endif

volatile int x = X, y = Y;
volatile int product, quotient, remainder;

unsigned char _sdcc_external_startup(void)
{
    clkmd = 0xF4; /* ILRC system clock, watchdog off */
    return 0;
}

void main(void)
{
    product = x * y;
    quotient = x / y;
    remainder = x % y;
    __asm__("stopsys");
    for (;;)
        ;
}
