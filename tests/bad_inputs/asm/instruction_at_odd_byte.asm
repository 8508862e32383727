	.db 1
	nop
