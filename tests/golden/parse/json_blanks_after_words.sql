-- blanks after words in a JSON literal, before a colon or not
BULK INSERT INTO c (a, b) VALUES ({a : 1, b: [true , false ], c	:
{d  : null}}, 2);
