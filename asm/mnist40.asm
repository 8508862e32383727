; mnist40.asm - MNIST digit classifier for the Padauk PMS150C (PDK13), 64-40-10, by hand.
;
; Same network and arithmetic contract as mnist.asm (pms150c.mnist.model.IntModel.forward):
;   h = clip((W1 @ x) >> SHIFT1, 0, HMAX1), logits = W2 @ h, digit = first largest logit,
; with every weight stored as two bits (u, v), w = 3u + v - 2, so each weight bit costs one
; `t0sn` plus one `add`. What differs from mnist.asm, to fit 40 hidden neurons into the ROM:
;
; - Two hidden neurons per pass over the image (one weight byte per image byte): half the
;   unrolled bit tests and folds of a four-neuron pass.
; - Zero skipping: an image byte of 0 (two black pixels; 38% of the test images' bytes)
;   skips its weight fetch and bit tests, and a hidden value of 0 (ReLU; 65% of them)
;   skips its output weights. Adding 0 changes nothing, so the result is exact; only the
;   time depends on the image.
; - The ten logit updates are one subroutine `lg`, called with 3h for the u bits and again
;   with h for the v bits (the weight bytes shifted left by one).
; - The neuron sums start at 0; -2T (T = sum of the pixels) is added when they are read,
;   and the read clears them for the next pass.
;
; Weight stream (pms150c/mnist/export40.py table_bytes): per pair of neurons (a, b), for
; each image byte q one byte u(a,2q) v(a,2q) u(b,2q) v(b,2q) u(a,2q+1) .. v(b,2q+1) from
; bit 7 down, then five bytes of output weights [a8 a9 b8 b9] [a0..a3] [a4..a7] [b0..b3]
; [b4..b7] as (u, v) pairs. Read through `pj` as in mnist.asm.
;
; Memory map (RAM):
;   0x00 P (idxm pointer), 0x06 W0, 0x01 W1, 0x02 W2 (weight bytes under test)
;   0x03 CNT, 0x04 CNTC, 0x05 IIDX, 0x07 GCNT
;   0x08-0x0B SU0 SV0 SU1 SV1   8-bit partial sums over 16 pixels
;   0x10-0x13 ACC0 ACC1         16-bit sums of the pass's two neurons
;   0x18-0x1B DL DH T H         scratch
;   0x1D DIGIT                  the result
;   0x20-0x33 L0..L9            logits, int16 little-endian (final, signed)
;   0x34-0x35 M2T = -2T, 0x36-0x37 SH = sum of hidden values (then 2*SH)
;   0x3A-0x3B stack (one level), 0x3C-0x3D PLO/PHI weight pointer (word address)
; Result: DIGIT (0x1D) and port A pins PA4..PA7 = digit bits 0..3 (PAC = 0xF0).

        .module mnist40

FLAG    = 0x00
SP      = 0x02
CLKMD   = 0x03
PA      = 0x10
PAC     = 0x11

P       = 0x00
W1      = 0x01
W2      = 0x02
CNT     = 0x03
CNTC    = 0x04
IIDX    = 0x05
W0      = 0x06
GCNT    = 0x07
SU0     = 0x08
SV0     = 0x09
SU1     = 0x0a
SV1     = 0x0b
ACC0    = 0x10
ACC1    = 0x12
DL      = 0x18
DH      = 0x19
T       = 0x1a
H       = 0x1b
DIGIT   = 0x1d
L0      = 0x20
M2T     = 0x34
SH      = 0x36
STACK   = 0x3a
PLO     = 0x3c
PHI     = 0x3d

        .area CODE (ABS)
        .org 0x0000
reset:
        mov a, #0x34            ; IHRC/2 = 8 MHz, watchdog off
        mov.io CLKMD, a
        mov a, #STACK
        mov.io SP, a

        ; clear 0x01..0x37 (partials, sums, logits, T, SH, DIGIT); RAM is undefined at power-on
        mov a, #0x37
        mov P, a
        mov a, #0
1$:     idxm P, a
        dzsn P
        goto 1$

        ; M2T = -2 * sum of all 64 pixels
        mov a, #32
        mov IIDX, a
2$:     mov a, IIDX
        call img
        mov T, a
        and a, #0x0f
        sub M2T, a
        subc M2T+1
        mov a, T
        swap a
        and a, #0x0f
        sub M2T, a
        subc M2T+1
        dzsn IIDX
        goto 2$
        sl M2T
        slc M2T+1

        mov a, #<(w_table - 1)  ; pj steps the pointer before it jumps
        mov PLO, a
        mov a, #>(w_table - 1)
        mov PHI, a
        mov a, #NPAIRS
        mov GCNT, a

; ---- one pass over the image for a pair of hidden neurons ------------------------------
group:
        clear IIDX
chunk:
        mov a, #8               ; 8 image bytes = 16 pixels: partials stay below 256
        mov CNT, a
pair:
        inc IIDX
        mov a, IIDX
        call img                ; two pixels
        ceqsn a, #0
        goto live_px
        inc PLO                 ; both black: skip their weight byte
        addc PHI
        goto next_px
live_px:
        mov T, a
        call pj                 ; weights of both neurons for both pixels
        mov W0, a
        mov a, T
        and a, #0x0f            ; even pixel
        t0sn W0, #7
        add SU0, a
        t0sn W0, #6
        add SV0, a
        t0sn W0, #5
        add SU1, a
        t0sn W0, #4
        add SV1, a
        mov a, T
        swap a
        and a, #0x0f            ; odd pixel
        t0sn W0, #3
        add SU0, a
        t0sn W0, #2
        add SV0, a
        t0sn W0, #1
        add SU1, a
        t0sn W0, #0
        add SV1, a
next_px:
        dzsn CNT
        goto pair

        ; fold: ACCn += 3*SUn + SVn, partials back to 0
        mov a, SU0
        add ACC0, a
        addc ACC0+1
        add ACC0, a
        addc ACC0+1
        add ACC0, a
        addc ACC0+1
        mov a, SV0
        add ACC0, a
        addc ACC0+1
        clear SU0
        clear SV0
        mov a, SU1
        add ACC1, a
        addc ACC1+1
        add ACC1, a
        addc ACC1+1
        add ACC1, a
        addc ACC1+1
        mov a, SV1
        add ACC1, a
        addc ACC1+1
        clear SU1
        clear SV1
        t1sn IIDX, #5           ; IIDX = 8, 16, 24, 32 after the four chunks
        goto chunk

; ---- the two hidden values, each added into the logits ---------------------------------
        mov a, #ACC0
        mov P, a
        mov a, #2
        mov CNTC, a
hidden:
        idxm a, P               ; (DL, DH) = ACC - 2T; ACC = 0 for the next pass
        add a, M2T
        mov DL, a
        mov a, #0
        idxm P, a
        set1 P, #0              ; (no flags: C of the low byte's add survives)
        idxm a, P
        addc a, M2T+1
        mov DH, a
        mov a, #0
        idxm P, a
        inc P
        mov a, DH
        sl a                    ; C = sign of the sum
        mov a, #0
        t0sn.io FLAG, #1
        goto have_h             ; negative: h = 0
        mov a, #SHIFT1+1
        mov CNT, a
        goto 2$
1$:     sr DH
        src DL
2$:     dzsn CNT
        goto 1$
        mov a, DH
        ceqsn a, #0
        goto sat
        mov a, #HMAX1
        sub a, DL               ; C = DL > HMAX1
        mov a, DL
        t0sn.io FLAG, #1
sat:    mov a, #HMAX1
have_h:
        mov H, a
        add SH, a
        addc SH+1
        ; output weights of the pair: b2 b0 b1 b3 b4, b2 = outputs 8, 9 of both neurons
        mov a, T
        swap a                  ; second neuron: its outputs 8, 9 move to bits 7..4
        t0sn CNTC, #0           ; CNTC = 2, 1: even = first neuron of the pair
        goto 3$
        call pj
        mov T, a
3$:     mov W2, a
        call pj
        mov W0, a
        call pj
        mov W1, a
        mov a, H
        sl a
        add a, H                ; 3h: one byte since HMAX1 <= 85, so C = 0 for lg
        t0sn.io FLAG, #0        ; Z: h = 0 adds nothing, skip it
        goto next_h
        call lg                 ; u bits: logit += 3h
        sl W0
        sl W1
        sl W2
        set0.io FLAG, #1        ; C = 0 for lg
        mov a, H
        call lg                 ; v bits (now at 7, 5, 3, 1): logit += h
next_h:
        dzsn CNTC
        goto hidden
        dzsn GCNT
        goto group
; ---- argmax over the biased logits, then remove the bias --------------------------------
        ; SU0, SV0 are 0 after the last fold: they hold the best biased logit so far
        sl SH
        slc SH+1                ; 2 * sum(h)
        mov a, #L0
        mov P, a
argmax:
        idxm a, P
        mov T, a
        sub a, SH
        idxm P, a               ; low byte without the bias
        set1 P, #0              ; (no flags: the borrow survives)
        idxm a, P
        mov H, a                ; (T, H) = biased logit k
        subc a, SH+1
        idxm P, a
        mov a, SU0
        sub a, T
        mov a, SV0
        subc a, H               ; C = best < logit (strict: ties keep the first index)
        t1sn.io FLAG, #1
        goto 1$
        mov a, T
        mov SU0, a
        mov a, H
        mov SV0, a
        mov a, P
        mov DIGIT, a            ; 0x21 + 2k
1$:     inc P
        mov a, P
        ceqsn a, #L0+20
        goto argmax
        mov a, DIGIT
        sr a
        and a, #0x0f            ; k (and 0 when DIGIT was never set)
        mov DIGIT, a
        swap a
        mov.io PA, a
        mov a, #0xf0
        mov.io PAC, a
        stopsys

; ---- subroutines and tables -------------------------------------------------------------
lg:                             ; logit k += A where bit 7 - 2k (of W0, W1, W2) is set; C = 0
        t0sn W0, #7             ; `addc` after a skipped `add` adds C = 0
        add L0+0, a
        addc L0+1
        t0sn W0, #5
        add L0+2, a
        addc L0+3
        t0sn W0, #3
        add L0+4, a
        addc L0+5
        t0sn W0, #1
        add L0+6, a
        addc L0+7
        t0sn W1, #7
        add L0+8, a
        addc L0+9
        t0sn W1, #5
        add L0+10, a
        addc L0+11
        t0sn W1, #3
        add L0+12, a
        addc L0+13
        t0sn W1, #1
        add L0+14, a
        addc L0+15
        t0sn W2, #7
        add L0+16, a
        addc L0+17
        t0sn W2, #5
        add L0+18, a
        addc L0+19
        ret

pj:                             ; step PLO/PHI, jump to the word it names: A = that byte
        inc PLO
        addc PHI
        set1.io SP, #1
        ret

img:    pcadd a                 ; A = 1..32 selects image byte A - 1
image_slot:                     ; written by the host: byte q = pixel 2q | pixel 2q+1 << 4
        ret #0
        ret #0
        ret #0
        ret #0
        ret #0
        ret #0
        ret #0
        ret #0
        ret #0
        ret #0
        ret #0
        ret #0
        ret #0
        ret #0
        ret #0
        ret #0
        ret #0
        ret #0
        ret #0
        ret #0
        ret #0
        ret #0
        ret #0
        ret #0
        ret #0
        ret #0
        ret #0
        ret #0
        ret #0
        ret #0
        ret #0
        ret #0
image_end:
        .include "mnist40_weights.inc"
rom_end:
        ; Words 0x3f0..0x3ff are the system area of the real chip (IHRC/bandgap calibration,
        ; the fuse word at 0x3ff), which the writer programs: the kernel must leave it blank.
        ; This `.ds` fails ("value ... out of range") when the weight table reaches 0x3f0.
        .ds 2 * 0x3f0 - .
