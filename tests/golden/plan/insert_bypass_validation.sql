-- bypass_validation = TRUE becomes bypassDocumentValidation
BULK INSERT INTO c (_id) VALUES (1) WITH (bypass_validation = TRUE);
