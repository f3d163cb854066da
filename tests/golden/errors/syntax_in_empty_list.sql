-- IN needs a value
BULK DELETE FROM c WHERE a IN ();
