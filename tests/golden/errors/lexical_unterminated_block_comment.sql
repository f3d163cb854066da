-- an unterminated block comment
BULK DELETE FROM c /* WHERE TRUE;
