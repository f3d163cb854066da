-- :name parameters, used twice
BULK INSERT INTO c (a, b) VALUES (:v, :v), (:w, 2);
