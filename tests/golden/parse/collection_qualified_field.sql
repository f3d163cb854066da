-- a field may be qualified with the collection name
BULK UPDATE products SET products.price = products.price * 2 WHERE products.sku = 'a';
