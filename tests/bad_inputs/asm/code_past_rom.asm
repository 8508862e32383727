	.area HOME (ABS)
	.org 0x7fe
	nop
	nop
