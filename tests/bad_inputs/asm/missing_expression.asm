	mov a, #
