	nop
	nop ; ok
	frob a
