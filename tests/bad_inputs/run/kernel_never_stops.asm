; an MNIST kernel shape (image_slot, image_end, DIGIT, L0) that never stops
DIGIT = 0x10
L0 = 0x00
start:	goto start
image_slot:
	.ds 128		; 64 words the host fills
image_end:
