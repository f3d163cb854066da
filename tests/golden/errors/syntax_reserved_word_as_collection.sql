-- a reserved word as a collection name, with a hint to quote it
BULK DELETE FROM select WHERE TRUE;
