#!/usr/bin/python3
"""bench/select_bench.py [N] — INSERT/UPSERT ... SELECT against the
server of $MONGODB_URI (issue 17), in a database of its own (dropped
after): N events (default 20000; 50 users x 7 days = 350 groups), then

  copy      BULK INSERT INTO dst SELECT user_id, amount, kind FROM ev
            (batch_size 1000, unordered): the cursor into insert batches;
  summary   the daily COUNT(*)/SUM per user and day, upserted on
            (user_id, day) from a WITH query, run twice (the second run
            updates the same 350 documents).

Prints the wall time of each bulkql run and checks the documents' count
(the integration test test_select.py checks their contents). Needs
BULKQL_BIN (default build/bulkql) and /usr/bin/python3 with pymongo."""
import os
import subprocess
import sys
import time

import pymongo


def main():
    uri = os.environ["MONGODB_URI"]
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    name = "bench_select_%d" % os.getpid()
    client = pymongo.MongoClient(uri)
    db = client[name]
    docs = [{"_id": i, "user_id": "u%d" % (i % 50), "day": "2024-01-%02d" % (1 + i % 7), "amount": i % 100 * 1.5,
             "kind": ["view", "click", "buy"][i % 3]} for i in range(n)]
    for k in range(0, n, 5000):
        db.ev.insert_many(docs[k:k + 5000])
    binary = os.environ.get("BULKQL_BIN", "build/bulkql")

    def run(sql):
        t = time.monotonic()
        r = subprocess.run([binary, "--uri", uri, "--db", name, "-q", "-c", sql], capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(r.stderr)
        return time.monotonic() - t

    try:
        t = run("BULK INSERT INTO dst SELECT user_id, amount, kind FROM ev WITH (batch_size = 1000, ordered = false)")
        print("copy: %d rows in %.2f s (%d documents)" % (n, t, db.dst.count_documents({})))
        sql = ("WITH daily AS (SELECT user_id, day, COUNT(*) AS n, SUM(amount) AS total FROM ev GROUP BY user_id, day) "
               "BULK UPSERT INTO summary SELECT user_id, day, n, total FROM daily ON CONFLICT (user_id, day) "
               "DO UPDATE SET n = EXCLUDED.n, total = EXCLUDED.total WITH (batch_size = 500)")
        for run_no in (1, 2):
            t = run(sql)
            print("summary run %d: %.2f s (%d documents)" % (run_no, t, db.summary.count_documents({})))
    finally:
        client.drop_database(name)


if __name__ == "__main__":
    main()
