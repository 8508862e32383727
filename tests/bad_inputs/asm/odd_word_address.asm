	stt16 3
