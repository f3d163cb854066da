-- decimals, exponents, leading/trailing dot, and DECIMAL '...'
BULK INSERT INTO c (a, b, d, e, f, g) VALUES (1.5, .5, 1., 1e10, 2.5E-3, DECIMAL '1.10');
