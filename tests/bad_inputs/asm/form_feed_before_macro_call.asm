; a macro name after a form feed: not a blank for sdaspdk13
	.macro m
	nop
	.endm
m
