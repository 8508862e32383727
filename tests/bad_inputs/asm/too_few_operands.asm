	mov a
