	.include "include_cycle.inc"
