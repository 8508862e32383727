	nop
	frob a
