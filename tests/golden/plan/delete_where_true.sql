-- WHERE TRUE deletes every document, in batches
BULK DELETE FROM c WHERE TRUE;
