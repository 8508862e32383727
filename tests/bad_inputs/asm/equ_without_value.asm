	.equ X
