-- REMOVE path is a SetItem with remove = true and no value
BULK UPDATE c SET REMOVE legacy, a = 1, REMOVE old.nested WHERE TRUE;
