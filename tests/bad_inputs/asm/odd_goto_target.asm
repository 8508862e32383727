Y = 3
	goto Y
