-- an aggregate of an aggregate
BULK INSERT INTO t SELECT SUM(COUNT(*)) AS n FROM s GROUP BY a;
