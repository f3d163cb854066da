// bench/load_node.js — what a Node.js user would write to load an NDJSON
// file with the official driver (npm `mongodb`, installed by
// bench/run_load_bench under .cache/bench/node and found through
// NODE_PATH): each line through EJSON.parse (relaxed Extended JSON), then
// insertMany({ordered: true}) in batches of BATCH documents, awaited one
// after the other (one batch in flight), one connection.
//
//   node load_node.js URI DATABASE COLLECTION FILE BATCH
//
// Prints one JSON line {"inserted": N, "batches": B, "seconds": S}; exits 1
// when a batch fails, 2 on a usage error.
'use strict';
const fs = require('fs');
const readline = require('readline');
const { MongoClient, BSON } = require('mongodb');
const { EJSON } = BSON;

async function main(argv) {
  const batch = Number.parseInt(argv[6], 10);
  if (argv.length !== 7 || !(batch >= 1)) {
    process.stderr.write('usage: node load_node.js URI DATABASE COLLECTION FILE BATCH\n');
    return 2;
  }
  const [uri, dbname, collname, path] = argv.slice(2, 6);
  const start = process.hrtime.bigint();
  const client = new MongoClient(uri, { appName: 'load_node', maxPoolSize: 1 });
  await client.connect();
  const coll = client.db(dbname).collection(collname);
  const rl = readline.createInterface({
    input: fs.createReadStream(path, { highWaterMark: 1 << 20 }),
    crlfDelay: Infinity,
  });
  let inserted = 0;
  let batches = 0;
  let docs = [];
  try {
    for await (const line of rl) {
      if (!line.trim()) continue;
      docs.push(EJSON.parse(line));
      if (docs.length === batch) {
        inserted += (await coll.insertMany(docs, { ordered: true })).insertedCount;
        batches++;
        docs = [];
      }
    }
    if (docs.length) {
      inserted += (await coll.insertMany(docs, { ordered: true })).insertedCount;
      batches++;
    }
  } finally {
    await client.close();
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  process.stdout.write(JSON.stringify({ inserted, batches, seconds }) + '\n');
  return 0;
}

main(process.argv).then(
  (rc) => process.exit(rc),
  (err) => {
    process.stderr.write(`load_node: ${err && err.stack ? err.stack : err}\n`);
    process.exit(1);
  },
);
