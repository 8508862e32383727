	nop ; ÿþ raw bytes in a comment are fine
	.ascii "€"
	mov a, #ÿ
