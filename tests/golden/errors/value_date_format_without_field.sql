-- a layout without a % field
BULK INSERT INTO c (d DATE FORMAT 'dd/mm/yyyy') VALUES ('01/02/2024');
