; word 0x0001 is not a PMS150C instruction
	nop
	nop
	.dw 0x0001
