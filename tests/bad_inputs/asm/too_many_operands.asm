	nop a
