/* Insertion sort of a byte array in RAM, initialised from -DVALUES=... by SDCC's startup code. */
__sfr __at(0x03) clkmd;

#ifndef VALUES
#define VALUES 5, 3, 9, 1
#endif

unsigned char values[] = {VALUES};
#define COUNT (sizeof(values) / sizeof(values[0]))
volatile unsigned char done;

unsigned char _sdcc_external_startup(void)
{
    clkmd = 0xF4;
    return 0;
}

void main(void)
{
    for (unsigned char i = 1; i < COUNT; i++) {
        unsigned char key = values[i];
        unsigned char j = i;
        while (j > 0 && values[j - 1] > key) {
            values[j] = values[j - 1];
            j--;
        }
        values[j] = key;
    }
    done = 1;
    __asm__("stopsys");
    for (;;)
        ;
}
