X = X + 1
	mov a, #X
