-- wtimeout must be a non-negative number
BULK INSERT INTO c (a) VALUES (1) WITH (write_concern = {w: 1, wtimeout: -1});
