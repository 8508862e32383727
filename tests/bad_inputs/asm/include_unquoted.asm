	.include missing.inc
