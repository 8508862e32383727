; a .macro line without the macro's name
	.macro
	.endm
