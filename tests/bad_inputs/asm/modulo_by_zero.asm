	mov a, #5%0
