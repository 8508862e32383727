; Ångström, naïve, ½ — every byte of these comments stays in its comment
	nop	; Å is C3 85: its 0x85 is not a line break
	nop	; U+2028   and U+0085  are not line breaks either
	nop	; neither are , , , ,  nor a lone  carriage return
	frob	; the error is on line 5
