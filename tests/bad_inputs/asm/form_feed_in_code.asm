	nop

