	call "main"
