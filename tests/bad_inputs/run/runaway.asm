; never stops
loop:	nop
	goto loop
