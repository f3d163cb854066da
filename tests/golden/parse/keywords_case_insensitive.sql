-- keywords in any case; identifiers keep theirs
bulk Insert INTO Coll (Name) values ('x') With Options (Batch_Size = 3);
