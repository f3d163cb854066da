-- an expression column needs a name
BULK INSERT INTO t SELECT a + 1 FROM s;
