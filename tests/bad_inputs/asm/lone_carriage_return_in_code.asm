	nopnop
