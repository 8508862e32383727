	mov A, #1
