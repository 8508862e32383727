start:
	goto 1$
