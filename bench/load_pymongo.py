#!/usr/bin/python3
"""bench/load_pymongo.py — what a Python user would write to load an NDJSON
file: each line through bson.json_util.loads (Extended JSON), then
insert_many(ordered=True) in batches of BATCH documents, one connection.

    load_pymongo.py URI DATABASE COLLECTION FILE BATCH

Prints one JSON line {"inserted": N, "batches": B, "seconds": S}; exits 1
when a batch fails (pymongo raises), 2 on a usage error.
"""
import json
import sys
import time

from bson import json_util
from pymongo import MongoClient


def main(argv):
    if len(argv) != 6 or int(argv[5]) < 1:
        print(__doc__.split("\n\n")[1].strip(), file=sys.stderr)
        return 2
    uri, dbname, collname, path, batch = argv[1], argv[2], argv[3], argv[4], int(argv[5])
    start = time.monotonic()
    client = MongoClient(uri, appname="load_pymongo")
    coll = client[dbname][collname]
    inserted = batches = 0
    docs = []
    with open(path, "r", encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            docs.append(json_util.loads(line))
            if len(docs) == batch:
                inserted += len(coll.insert_many(docs, ordered=True).inserted_ids)
                batches += 1
                docs = []
    if docs:
        inserted += len(coll.insert_many(docs, ordered=True).inserted_ids)
        batches += 1
    client.close()
    print(json.dumps({"inserted": inserted, "batches": batches, "seconds": time.monotonic() - start}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
