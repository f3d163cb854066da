-- allow_system = true: writing into admin on purpose (shown in the plan)
BULK INSERT INTO admin.settings (_id) VALUES (1) WITH (allow_system = true);
