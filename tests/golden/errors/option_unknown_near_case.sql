-- a near miss of an option name in another case
BULK DELETE FROM c WHERE TRUE WITH (Max_Delete_Cuont = 1);
