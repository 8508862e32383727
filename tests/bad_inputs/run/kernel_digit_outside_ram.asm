; an MNIST kernel shape whose DIGIT is past the 64 bytes of RAM
DIGIT = 0x50
L0 = 0x00
	stopsys
image_slot:
	.ds 128		; 64 words the host fills
image_end:
