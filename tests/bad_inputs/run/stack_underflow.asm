; returns with an empty stack
	ret
