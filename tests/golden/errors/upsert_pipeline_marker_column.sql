-- the field a pipeline upsert keyed on _id uses to tell a new document is not a column a row may have
BULK UPSERT INTO docs (_id, __bulkql_upsert_new) VALUES (1, 2) ON CONFLICT (_id) DO UPDATE SET hits = COALESCE(hits, 0) + 1;
