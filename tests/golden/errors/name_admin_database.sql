-- writing into the admin database needs allow_system = true
BULK INSERT INTO admin.settings (_id) VALUES (1);
