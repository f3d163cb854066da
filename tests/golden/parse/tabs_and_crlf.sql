-- tabs and CRLF line ends count as bytes in spans
BULK	DELETE FROM c
	WHERE a = 1;
