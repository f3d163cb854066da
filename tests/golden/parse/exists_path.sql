-- EXISTS(path)
BULK DELETE FROM c WHERE EXISTS(address.city) AND NOT EXISTS(deleted);
