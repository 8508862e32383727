	.area X (FOO)
