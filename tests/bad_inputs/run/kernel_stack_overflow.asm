; an MNIST kernel shape whose code recurses until the stack leaves RAM
DIGIT = 0x10
L0 = 0x00
start:	call start
image_slot:
	.ds 128		; 64 words the host fills
image_end:
