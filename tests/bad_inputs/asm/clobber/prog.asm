; a program and an include for the cases that try to overwrite inputs
	.include "part.inc"
	stopsys
