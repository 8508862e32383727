	nop  nop
