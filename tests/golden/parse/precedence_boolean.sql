-- NOT binds tighter than AND, AND tighter than OR
BULK DELETE FROM c WHERE a = 1 OR NOT b = 2 AND d = 3;
