	.area CODE
	.org 2
	nop
