-- WHERE -price is not a condition
BULK DELETE FROM c WHERE -price;
