-- a database name with "*"
BULK UPSERT INTO "a*".c (_id) VALUES (1) ON CONFLICT (_id) DO NOTHING;
