-- two row columns in the join: the batch's filter is the $or of the rows' filters
BULK DELETE FROM products USING (VALUES ('a', 'eu'), ('b', 'us')) AS v(sku, region) WHERE sku = v.sku AND region = v.region;
