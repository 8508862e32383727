	.macro foo
