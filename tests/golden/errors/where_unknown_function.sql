-- an unknown function in WHERE is refused at its name
BULK DELETE FROM c WHERE soundex(name) = 'A123';
