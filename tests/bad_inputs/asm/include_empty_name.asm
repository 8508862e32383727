	.include ""
