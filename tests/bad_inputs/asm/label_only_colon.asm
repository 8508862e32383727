: nop
