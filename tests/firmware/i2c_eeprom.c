/* An I2C master bit-banged on PA3 (SCL) and PA4 (SDA), open drain as I2C wants it: the
   latch holds 0 and a line is pulled low by making it an output (PAC bit 1) and released
   by making it an input (the bus pull-ups then hold it high). main writes four bytes at
   word address 0x10 of a 24C02 EEPROM (device address 0x50), then reads eight bytes back
   from word address 0x0E into `got` with a random read (a word address, a repeated start,
   the read). `acks` counts the bytes the EEPROM acknowledged. */
#include "pms150c.h"

#define SCL 0x08 /* PA3 */
#define SDA 0x10 /* PA4 */
#define EEPROM 0xA0 /* 0x50 << 1 */

unsigned char got[8];
volatile unsigned char acks;
const unsigned char data[] = {0xDE, 0xAD, 0xBE, 0xEF};

STARTUP(CLKMD_IHRC_DIV2)

static void scl_release(void) { pac &= ~SCL; }
static void scl_low(void) { pac |= SCL; }
static void sda_release(void) { pac &= ~SDA; }
static void sda_low(void) { pac |= SDA; }

static void i2c_start(void)
{
    sda_release();
    scl_release();
    sda_low(); /* SDA falls while SCL is high */
    scl_low();
}

static void i2c_stop(void)
{
    sda_low();
    scl_release();
    sda_release(); /* SDA rises while SCL is high */
}

static unsigned char i2c_write(unsigned char byte)
{
    unsigned char ack;
    for (unsigned char bit = 0; bit < 8; bit++) {
        if (byte & 0x80)
            sda_release();
        else
            sda_low();
        scl_release();
        scl_low();
        byte <<= 1;
    }
    sda_release(); /* the slave pulls SDA low to acknowledge */
    scl_release();
    ack = (pa & SDA) ? 0 : 1;
    scl_low();
    return ack;
}

static unsigned char i2c_read(unsigned char ack)
{
    unsigned char byte = 0;
    sda_release();
    for (unsigned char bit = 0; bit < 8; bit++) {
        scl_release();
        byte <<= 1;
        if (pa & SDA)
            byte |= 1;
        scl_low();
    }
    if (ack)
        sda_low();
    scl_release();
    scl_low();
    sda_release();
    return byte;
}

void main(void)
{
    pa = 0; /* the latch stays 0: an output bit pulls its line low */
    pac = 0;
    i2c_start();
    acks += i2c_write(EEPROM);
    acks += i2c_write(0x10);
    for (unsigned char i = 0; i < sizeof(data); i++)
        acks += i2c_write(data[i]);
    i2c_stop();

    i2c_start();
    acks += i2c_write(EEPROM);
    acks += i2c_write(0x0E);
    i2c_start(); /* a repeated start */
    acks += i2c_write(EEPROM | 1);
    for (unsigned char i = 0; i < sizeof(got); i++)
        got[i] = i2c_read(i < sizeof(got) - 1);
    i2c_stop();
    __asm__("stopsys");
}
