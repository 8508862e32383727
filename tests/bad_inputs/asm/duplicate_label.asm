loop:	nop
loop:	nop
