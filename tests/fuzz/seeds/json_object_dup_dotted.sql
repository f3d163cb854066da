BULK UPDATE t SET d = JSON_OBJECT('a.b', 1, 'a.b', 2) WHERE id = 1;
