/* 16- and 32-bit arithmetic through pointers: the djb2 hash (h = h * 33 + c, written as
   (h << 5) + h + c so it needs no multiply routine) and a 16-bit sum of a RAM buffer
   filled from ROM, plus the smallest and largest signed 16-bit differences of
   neighbours. main stops when done; the test compares with the same sums in Python. */
#include "pms150c.h"

#ifndef DATA
#define DATA 1, 2, 3, 250, 251, 252
#endif

const unsigned char input[] = {DATA};
#define COUNT (sizeof(input))
unsigned char buffer[COUNT];
unsigned long hash;
unsigned int total;
int lowest, highest;

STARTUP(CLKMD_IHRC_DIV2)

static void copy(unsigned char *to, const unsigned char *from, unsigned char n)
{
    while (n--)
        *to++ = *from++;
}

static unsigned long djb2(const unsigned char *p, unsigned char n)
{
    unsigned long h = 5381;
    while (n--)
        h = (h << 5) + h + *p++;
    return h;
}

void main(void)
{
    copy(buffer, input, COUNT);
    hash = djb2(buffer, COUNT);
    total = 0;
    lowest = 32767;
    highest = -32768;
    for (unsigned char i = 0; i < COUNT; i++) {
        total += buffer[i];
        if (i) {
            int step = (int)buffer[i] - (int)buffer[i - 1];
            if (step < lowest)
                lowest = step;
            if (step > highest)
                highest = step;
        }
    }
    __asm__("stopsys");
}
