-- a pipeline upsert keyed on _id whose row holds only the key: the marker in the filter, not a count of fields, tells a new document from a stored one that holds only its _id (that one gets the SET list)
EXPLAIN BULK UPSERT INTO docs (_id) VALUES (7) ON CONFLICT (_id) DO UPDATE SET revisions = COALESCE(revisions, 0) + 1, updated_at = NOW();
