	mov a, #1 @
