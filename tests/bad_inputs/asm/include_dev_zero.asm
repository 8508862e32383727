	.include "/dev/zero"
