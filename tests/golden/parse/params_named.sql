-- :name parameters keep their name
BULK DELETE FROM c WHERE owner = :owner AND created_at < :cutoff;
