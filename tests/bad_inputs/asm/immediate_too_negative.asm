	mov a, #-129
