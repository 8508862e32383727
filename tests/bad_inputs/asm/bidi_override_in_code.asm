	nop ‮
