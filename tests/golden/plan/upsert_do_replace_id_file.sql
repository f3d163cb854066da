-- DO REPLACE on _id from a file: on a server whose _id $in lookup reads the whole collection, the rows whose _id is not stored go as inserts (INSERT_NEW_IDS, ordered: runs of 16 or more between the upsert commands)
BULK UPSERT INTO products FROM 'p.ndjson' ON CONFLICT (_id) DO REPLACE;
