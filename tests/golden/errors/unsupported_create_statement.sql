-- CREATE statements are not supported
CREATE TABLE t (a INT);
