-- DELETE: an _id-ordered read, then a delete of each batch's _ids with limit 0
BULK DELETE FROM sessions WHERE expires_at < CURRENT_TIMESTAMP;
