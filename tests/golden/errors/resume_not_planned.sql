-- the embedding API plans BULK statements; RESUME is run by bql_operation_resume
RESUME OPERATION '65a1f0c2e4b0a1b2c3d4e5f6';
