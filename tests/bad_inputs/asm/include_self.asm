	nop
	.include "include_self.asm"
