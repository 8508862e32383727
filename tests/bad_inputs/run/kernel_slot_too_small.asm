; an MNIST kernel shape with a 10-word image slot
DIGIT = 0x10
L0 = 0x00
	stopsys
image_slot:
	.ds 20
image_end:
