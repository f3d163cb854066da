-- an unterminated block comment ending in stars
BULK DELETE FROM c WHERE TRUE /* no end **
