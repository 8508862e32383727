; mixed.asm - benchmark program for benchmarks/bench.py: one endless loop that touches every
; instruction class of the PMS150C core with its peripherals running.
;
;   RAM arithmetic and logic, read-modify-write, shifts and rotates, xch, clear
;   accumulator and literal forms, nibble swap
;   bit set/clear/test on RAM and IO, every skip form (taken and not taken)
;   idxm both ways (a pointer walk over a buffer), pcadd table with ret k, call/ret
;   pushaf/popaf, ldt16/stt16, IO reads that catch the timers up (INTRQ, TM2CT, PA)
;   a Timer16 interrupt every 1024..2048 cycles (pushaf, INTRQ clear, stt16, reti)
;   Timer2 counting from the IHRC (its requests are cleared by the interrupt)
;   wdreset, engint/disgint
; Not exercised (they stop the loop): stopsys, stopexe, reset.

        .module mixed

FLAG    = 0x00
SP      = 0x02
CLKMD   = 0x03
INTEN   = 0x04
INTRQ   = 0x05
T16M    = 0x06
TM2B    = 0x09
PA      = 0x10
PAC     = 0x11
TM2S    = 0x17
TM2C    = 0x1c
TM2CT   = 0x1d

BUF     = 0x00          ; 0x00..0x07 buffer walked by idxm
PTR     = 0x08
CNT     = 0x09
X       = 0x0a
Y       = 0x0b
T16W    = 0x0c          ; 0x0c..0x0d word for ldt16 / stt16
ISRC    = 0x0e          ; interrupts taken (low byte)
SUM     = 0x10          ; 0x10..0x11 16-bit running sum
LOOPS   = 0x12          ; 0x12..0x13 16-bit loop count
STACK   = 0x30

        .area CODE (ABS)
        .org 0x0000
        goto start

        .org 0x0020     ; interrupt vector: word 0x10 (.org counts bytes, as in sdaspdk13)
isr:    pushaf
        mov a, #0
        mov.io INTRQ, a
        inc ISRC
        clear T16W
        clear T16W+1
        stt16 T16W
        popaf
        reti

start:  mov a, #STACK
        mov.io SP, a
        mov a, #0x34            ; IHRC/2 = 8 MHz, watchdog off
        mov.io CLKMD, a
        mov a, #0x28            ; T16 from CLK, /4, request on bit 8
        mov.io T16M, a
        mov a, #0x80
        mov.io TM2B, a
        mov a, #0x00
        mov.io TM2S, a
        mov a, #0x20            ; Timer2 from the IHRC, period mode, no pin
        mov.io TM2C, a
        mov a, #0x10
        mov.io PAC, a           ; PA4 output
        mov a, #0x04            ; T16 interrupt only
        mov.io INTEN, a
        mov a, #0
        mov.io INTRQ, a
        engint

main:   wdreset
        ; -- RAM arithmetic and logic ----------------------------------------------
        mov a, #0x5a
        mov X, a
        add X, a
        addc X, a
        sub X, a
        subc X, a
        and X, a
        or X, a
        xor X, a
        add a, X
        addc a, X
        sub a, X
        subc a, X
        and a, X
        or a, X
        xor a, X
        mov a, X
        addc X
        subc X
        inc X
        dec X
        not X
        neg X
        sr X
        sl X
        src X
        slc X
        xch X
        clear Y
        ; -- accumulator and literal -----------------------------------------------
        add a, #3
        sub a, #1
        and a, #0x7f
        or a, #0x10
        xor a, #0x55
        addc a
        subc a
        not a
        neg a
        sr a
        sl a
        src a
        slc a
        swap a
        ; -- bits and skips ---------------------------------------------------------
        set1 Y, #3
        t0sn Y, #3
        nop
        set0 Y, #3
        t1sn Y, #3
        nop
        mov a, X
        ceqsn a, X
        nop
        ceqsn a, #0x42
        nop
        mov a, #0xff
        izsn a
        nop
        dzsn a
        nop
        ; -- idxm pointer walk -------------------------------------------------------
        mov a, #BUF
        mov PTR, a
        mov a, #8
        mov CNT, a
fill:   mov a, CNT
        idxm PTR, a
        idxm a, PTR
        add SUM, a
        addc SUM+1
        inc PTR
        dzsn CNT
        goto fill
        ; -- calls, tables, stack ----------------------------------------------------
        mov a, #2
        call table
        add SUM, a
        call bump
        pushaf
        popaf
        ; -- IO --------------------------------------------------------------------
        ldt16 T16W
        mov.io a, TM2CT
        mov.io a, INTRQ
        mov.io a, PA
        set1.io PA, #4
        set0.io PA, #4
        xor.io PA, a
        t0sn.io FLAG, #0
        nop
        t1sn.io INTRQ, #2
        nop
        mov.io a, FLAG
        mov.io a, SP
        disgint
        engint
        ; -- loop count ------------------------------------------------------------
        izsn LOOPS
        goto main
        inc LOOPS+1
        goto main

table:  pcadd a
        ret #1
        ret #2
        ret #3
        ret #4

bump:   inc Y
        ret
