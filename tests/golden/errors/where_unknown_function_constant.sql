-- an unknown function over constants in WHERE
BULK DELETE FROM c WHERE a = md5('x');
