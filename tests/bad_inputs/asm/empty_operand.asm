	mov a, 
