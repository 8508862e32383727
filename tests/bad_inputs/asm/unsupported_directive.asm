	.radix 10
