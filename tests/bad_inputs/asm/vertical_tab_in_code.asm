	mov a,#1
