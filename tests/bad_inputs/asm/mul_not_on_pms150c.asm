	mul
