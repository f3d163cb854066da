-- the plain UPDATE: SET list and WHERE
BULK UPDATE products SET price = 10, status = 'sale' WHERE category = 'books';
