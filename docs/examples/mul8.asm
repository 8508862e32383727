; mul8: product (16 bits) <- x * y, by shift and add: the PMS150C has no multiplier.
; Returns the high byte in A as well. sdaspdk13 syntax; assembles with the bundled
; assembler (predefine_io=True for `flag`) or with sdaspdk13.
    .area DATA (ABS)
    .org 0x10
product: .ds 2
x: .ds 1
y: .ds 1
count: .ds 1

    .area CODE (ABS)
    .org 0
main:
    stopsys

mul8:
    clear product
    clear product+1
    mov a, #8
    mov count, a
next:
    sl product          ; product <<= 1
    slc product+1
    sl x                ; the next bit of x, from the top, into C
    t1sn.io flag, #1
    goto skip
    mov a, y            ; a 1 bit: product += y
    add product, a
    addc product+1
skip:
    dzsn count
    goto next
    mov a, product+1
    ret
