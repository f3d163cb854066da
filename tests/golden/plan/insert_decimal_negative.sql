-- unary minus on a DECIMAL literal flips its sign exactly
BULK INSERT INTO c (a, b) VALUES (-DECIMAL '1.10', -DECIMAL '-0.5');
