/* Routines for tests/test_machine_call.py: Machine.call runs each as if main called it. */

unsigned char add_sat(unsigned char x, unsigned char y)
{
    unsigned int s = (unsigned int)x + y;
    return s > 255 ? 255 : (unsigned char)s;
}

unsigned int mul16(unsigned int a, unsigned int b)
{
    return a * b;
}

unsigned char table_lookup(unsigned char i)
{
    static const unsigned char squares[8] = {0, 1, 4, 9, 16, 25, 36, 49};
    return squares[i & 7];
}

void main(void)
{
    for (;;)
        ;
}
