-- RESUME and OPERATION are unreserved: still usable as names
BULK INSERT INTO resume (operation, resume) VALUES (1, 2);
