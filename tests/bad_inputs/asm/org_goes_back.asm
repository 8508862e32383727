	.area HOME (ABS)
	.org 4
	nop
	.org 2
	nop
	nop
