-- db.coll in DELETE
BULK DELETE FROM logs.events WHERE TRUE WITH (batch_size = 10);
