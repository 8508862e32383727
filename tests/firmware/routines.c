/* Routines for pms150c.testing.call: parameters in static RAM, results in A, A and p, or
   (32 bits) through the pointer the caller pushes; a void routine changing a global. */
unsigned char add_sat(unsigned char x, unsigned char y)
{
    unsigned int sum = x + y;
    return sum > 255 ? 255 : sum;
}

int mix(int a, signed char b)
{
    return a * 3 + b;
}

unsigned long add32(unsigned long x, unsigned long y)
{
    return x + y;
}

signed char negate(signed char v)
{
    return -v;
}

unsigned char counter = 7;

void bump(void)
{
    counter++;
}

void main(void)
{
    for (;;)
        bump();
}
