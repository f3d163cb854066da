-- double-quoted identifiers keep spaces, case and doubled quotes
BULK INSERT INTO "My Coll" ("first name", "say ""hi""", "Select") VALUES ('a', 'b', 'c');
