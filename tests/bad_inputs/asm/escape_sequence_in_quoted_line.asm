	frob ; [2J[31mred
