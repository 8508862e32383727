/* A switch statement that SDCC compiles into a jump table (pcadd and goto #label): the
   command decoder of a little protocol. main decodes each byte of a command string and
   keeps the results in RAM, then stops. */
#include "pms150c.h"

#ifndef COMMANDS
#define COMMANDS "0123456789"
#endif

enum { CMD_NOP = 0, CMD_ON = 10, CMD_OFF = 20, CMD_BLINK = 30, CMD_READ = 40, CMD_BAD = 255 };

const char commands[] = COMMANDS;
unsigned char results[sizeof(commands) - 1];
volatile unsigned char decoded;

STARTUP(CLKMD_IHRC_DIV2)

unsigned char decode(unsigned char c)
{
    switch ((unsigned char)(c - '0')) {
    case 0:
        return CMD_NOP;
    case 1:
        return CMD_ON;
    case 2:
        return CMD_OFF;
    case 3:
        return CMD_BLINK;
    case 4:
        return CMD_READ;
    case 5:
        return CMD_ON + 1;
    case 6:
        return CMD_OFF + 1;
    case 7:
        return CMD_BLINK + 1;
    default:
        return CMD_BAD;
    }
}

void main(void)
{
    unsigned char *out = results;
    for (const char *p = commands; *p; p++) {
        *out++ = decode(*p);
        decoded++;
    }
    __asm__("stopsys");
}
