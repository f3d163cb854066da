-- a system.* collection needs allow_system = true
BULK DELETE FROM "system.users" WHERE TRUE;
