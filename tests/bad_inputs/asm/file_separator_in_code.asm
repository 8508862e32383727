	nop	nop
