-- products.price names the field price of products
BULK UPDATE products SET products.price = products.price * 2 WHERE products.sku = 'a';
