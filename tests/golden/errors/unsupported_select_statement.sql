-- SELECT statements are not supported
SELECT * FROM c;
