	mov a, #256
