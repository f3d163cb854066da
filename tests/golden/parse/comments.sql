-- line and block comments anywhere, including inside a statement
/* a block comment
   over two lines */ BULK /* inline */ INSERT INTO c -- trailing
(a) VALUES (1 /* in a row */) -- done
;
