; an MNIST kernel shape whose first word is not an instruction
DIGIT = 0x10
L0 = 0x00
	.dw 0x0001
image_slot:
	.ds 128		; 64 words the host fills
image_end:
