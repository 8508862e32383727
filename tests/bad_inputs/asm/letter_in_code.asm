	mov a, #é
