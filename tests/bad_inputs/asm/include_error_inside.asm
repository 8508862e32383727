	nop
	.include "include_error_inside.inc"
