/* An SPI master (mode 0, MSB first) bit-banged on port A: chip select PA0 (active low),
   SCK PA3, MOSI PA4, MISO PA6. main reads a flash chip's JEDEC ID: it sends 0x9F and
   clocks in three bytes, which it keeps in `id`; `transfers` counts the bytes clocked. */
#include "pms150c.h"

#define CS 0x01   /* PA0 */
#define SCK 0x08  /* PA3 */
#define MOSI 0x10 /* PA4 */
#define MISO 0x40 /* PA6 */

unsigned char id[3];
volatile unsigned char transfers;

STARTUP(CLKMD_IHRC_DIV2)

unsigned char spi_transfer(unsigned char out)
{
    unsigned char in = 0;
    for (unsigned char bit = 0; bit < 8; bit++) {
        if (out & 0x80)
            pa |= MOSI;
        else
            pa &= ~MOSI;
        out <<= 1;
        pa |= SCK; /* the slave samples MOSI on this rising edge */
        in <<= 1;
        if (pa & MISO)
            in |= 1;
        pa &= ~SCK; /* and shifts out its next bit on the falling one */
    }
    transfers++;
    return in;
}

static void spi_read(unsigned char command, unsigned char *buffer, unsigned char count)
{
    pa &= ~CS;
    spi_transfer(command);
    while (count--)
        *buffer++ = spi_transfer(0x00);
    pa |= CS;
}

void main(void)
{
    pa = CS; /* deselected, SCK low */
    pac = CS | SCK | MOSI;
    spi_read(0x9F, id, sizeof(id));
    __asm__("stopsys");
}
