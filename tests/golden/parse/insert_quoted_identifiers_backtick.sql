-- backtick-quoted identifiers, with `` escaping a backtick
BULK INSERT INTO `order items` (`a``b`, `where`) VALUES (1, 2);
