-- SET * with nothing but _id to set
BULK UPDATE products SET * FROM (VALUES (1)) AS v(_id) WHERE _id = v._id;
