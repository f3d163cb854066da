-- :name without a bound value (another name is bound)
BULK DELETE FROM c WHERE owner = :owner;
