	mov a, #1/0
