; an MNIST kernel shape that writes the calibration words at 0x3f0..0x3ff
DIGIT = 0x10
L0 = 0x00
	stopsys
image_slot:
	.ds 128		; 64 words the host fills
image_end:
	.area SYS (ABS)
	.org 0x7e0
	nop
