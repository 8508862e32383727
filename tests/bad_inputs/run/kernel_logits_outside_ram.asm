; an MNIST kernel shape whose ten int16 logits from L0 run past RAM
DIGIT = 0x10
L0 = 0x30
	stopsys
image_slot:
	.ds 128		; 64 words the host fills
image_end:
