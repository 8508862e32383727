	mov a, #'é'
