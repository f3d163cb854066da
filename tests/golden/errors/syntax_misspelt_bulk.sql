-- a misspelt BULK gets a "did you mean"
BLUK INSERT INTO c (a) VALUES (1);
