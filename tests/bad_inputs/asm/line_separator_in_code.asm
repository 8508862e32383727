	nop nop
