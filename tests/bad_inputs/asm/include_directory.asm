	.include "../asm"
