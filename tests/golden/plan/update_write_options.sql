-- write concern, bypassDocumentValidation and ordered = FALSE reach the update command
BULK UPDATE c SET a = 1 WHERE TRUE WITH (write_concern = {w: 1, j: false}, bypass_validation = TRUE, ordered = FALSE);
