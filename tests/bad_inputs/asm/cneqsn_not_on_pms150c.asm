	cneqsn a, #1
