; includes wave.vcd, the name its own vcd output would get
	.include "wave.vcd"
	stopsys
