-- SET of a nested path
BULK UPDATE c SET address.geo.lat = 1.5 WHERE _id = 1;
