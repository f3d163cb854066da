-- blanks after words and commas: spans end at the word
BULK   INSERT	INTO c (a  ,  b ) VALUES (x  ,
  TIMESTAMP   '2024-01-01T00:00:00Z'  , y.z   ) ;
