/* PMS150C IO registers for SDCC (sdcc -mpdk13), addresses from the datasheet's register
   table (pms150c/device.py holds the same facts for the simulator). */
#ifndef PMS150C_H
#define PMS150C_H

__sfr __at(0x00) flag;
__sfr __at(0x02) sp;
__sfr __at(0x03) clkmd;
__sfr __at(0x04) inten;
__sfr __at(0x05) intrq;
__sfr __at(0x06) t16m;
__sfr __at(0x09) tm2b;
__sfr __at(0x0b) ihrcr;
__sfr __at(0x0c) integs;
__sfr __at(0x0d) padier;
__sfr __at(0x10) pa;
__sfr __at(0x11) pac;
__sfr __at(0x12) paph;
__sfr __at(0x17) tm2s;
__sfr __at(0x1b) misc;
__sfr __at(0x1c) tm2c;
__sfr __at(0x1d) tm2ct;
__sfr __at(0x1f) ilrcr;

/* CLKMD: IHRC/2 = 8 MHz (IHRC/4 = 4 MHz) system clock, IHRC and ILRC on, watchdog off. */
#define CLKMD_IHRC_DIV2 0x34
#define CLKMD_IHRC_DIV4 0x14

/* INTEN / INTRQ bits */
#define INT_PA0 0x01
#define INT_T16 0x04
#define INT_TM2 0x40

/* SDCC 4.2.0's start-up code calls _sdcc_external_startup before it initialises RAM;
   returning 0 lets it go on. It is the place to set the clock and stop the watchdog,
   which runs from reset (CLKMD = 0xF6). */
#define STARTUP(clock)                                                                    \
    unsigned char _sdcc_external_startup(void)                                            \
    {                                                                                     \
        clkmd = (clock);                                                                  \
        return 0;                                                                         \
    }

#endif
