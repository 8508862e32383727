	add #1, a
