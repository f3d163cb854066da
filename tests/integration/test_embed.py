"""The embedding API as a user of the installed package sees it.

`cmake --install` of the build under test into a temporary prefix, then:
the installed layout (headers, shared and static libraries, bulkql.pc,
the CMake package, the man page); only bql_-prefixed symbols exported;
the parser library needing nothing but libc and its headers including
neither bson.h nor mongoc.h; and samples/embed built four times, through
find_package(bulkql) and through pkg-config, each against the shared and
the static library, run against the live server,
with the server's documents read back by pymongo.
"""
import glob
import gzip
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import bqltest  # noqa: E402

BUILD = os.path.dirname(os.path.abspath(bqltest.BULKQL or "."))
SAMPLE = os.path.join(bqltest.TOP, "samples", "embed")


def cache_value(name):
    """A variable of the build under test's CMakeCache.txt, or "" if unset."""
    with open(os.path.join(BUILD, "CMakeCache.txt")) as f:
        m = re.search(r"^%s:[A-Z]+=(.*)$" % re.escape(name), f.read(), re.M)
    return m.group(1) if m else ""


def sanitized():
    """True when the build under test uses ASan+UBSan: then programs linked
    against its libraries must be built with the same flags."""
    return cache_value("BULKQL_SANITIZE").upper() in ("ON", "TRUE", "1")


# symbols the sanitizers' instrumentation adds to every object they build
SAN_SYMBOLS = ("__odr_asan", "__asan", "__ubsan", "__sancov")
SAN_FLAGS = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer"]


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        raise AssertionError("%s failed (%d)\n%s\n%s" % (" ".join(cmd), p.returncode, p.stdout, p.stderr))
    return p


class InstallTest(bqltest.BulkqlCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.mkdtemp(prefix="bulkql-install-")
        cls.prefix = os.path.join(cls.tmp, "prefix")
        run(["cmake", "--install", BUILD, "--prefix", cls.prefix])
        cls.libdir = os.path.join(cls.prefix, cache_value("CMAKE_INSTALL_LIBDIR"))
        cls.san = sanitized()
        cls.env = dict(os.environ, LD_LIBRARY_PATH=cls.libdir,
                       PKG_CONFIG_PATH=os.path.join(cls.libdir, "pkgconfig"))
        if cls.san:
            # the sample has no leaks of its own; libmongoc's one-time
            # allocations are not ours to judge here
            cls.env["ASAN_OPTIONS"] = "detect_leaks=0"

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)
        super().tearDownClass()

    def test_installed_layout(self):
        inc = os.path.join(self.prefix, "include", "bulkql")
        self.assertEqual(sorted(os.listdir(inc)), sorted(os.listdir(os.path.join(bqltest.TOP, "include", "bulkql"))))
        libs = sorted(os.path.basename(p) for p in glob.glob(os.path.join(self.libdir, "libbulkql*")))
        for name in ("bulkql", "bulkql_parser", "bulkql_planner"):
            self.assertIn("lib%s.a" % name, libs)
            self.assertIn("lib%s.so" % name, libs)
        for pc in ("bulkql.pc", "bulkql_parser.pc"):
            self.assertTrue(os.path.exists(os.path.join(self.libdir, "pkgconfig", pc)), pc)
        cmake_dir = os.path.join(self.libdir, "cmake", "bulkql")
        for f in ("bulkqlConfig.cmake", "bulkqlConfigVersion.cmake", "bulkqlTargets.cmake"):
            self.assertTrue(os.path.exists(os.path.join(cmake_dir, f)), f)
        self.assertTrue(os.path.exists(os.path.join(self.prefix, "bin", "bulkql")))
        if os.path.exists(os.path.join(bqltest.TOP, "doc", "bulkql.1")):
            self.assertTrue(os.path.exists(os.path.join(self.prefix, "share", "man", "man1", "bulkql.1")))

    def test_only_bql_symbols_are_exported(self):
        for name in ("bulkql", "bulkql_parser", "bulkql_planner"):
            so = os.path.join(self.libdir, "lib%s.so" % name)
            syms = run(["nm", "-D", "--defined-only", so]).stdout.split("\n")
            names = [line.split()[-1] for line in syms if line.strip()]
            self.assertIn("bql_parse", names)
            self.assertEqual([n for n in names if not n.startswith("bql_") and not n.startswith(SAN_SYMBOLS)], [], so)
            a = os.path.join(self.libdir, "lib%s.a" % name)
            syms = run(["nm", "-g", "--defined-only", a]).stdout.split("\n")
            names = [line.split()[-1] for line in syms if len(line.split()) == 3]
            self.assertEqual([n for n in names if not n.startswith("bql_") and not n.startswith(SAN_SYMBOLS)], [], a)
        so = os.path.join(self.libdir, "libbulkql.so")
        names = run(["nm", "-D", "--defined-only", so]).stdout
        for api in ("bql_execute", "bql_plan_new", "bql_plan_explain_json", "bql_script_to_json", "bql_error_render",
                    "bql_errstr", "bql_script_params"):
            self.assertIn(" " + api + "\n", names)

    def needed(self, lib):
        out = run(["readelf", "-d", os.path.join(self.libdir, lib)]).stdout
        return sorted(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out))

    def test_parser_library_needs_only_libc(self):
        needed = [n for n in self.needed("libbulkql_parser.so") if not n.startswith(("libasan", "libubsan"))]
        self.assertEqual(needed, ["libc.so.6"])
        planner = self.needed("libbulkql_planner.so")
        self.assertFalse([n for n in planner if "mongoc" in n], planner)
        self.assertTrue([n for n in planner if "bson" in n], planner)

    def test_parser_headers_build_without_bson_or_mongoc(self):
        src = os.path.join(self.tmp, "parse_only.c")
        with open(src, "w") as f:
            f.write(r'''
#include <bulkql/parser.h>
#include <bulkql/ast.h>
#include <bulkql/error.h>
#include <stdio.h>
#include <string.h>
#ifdef BSON_H
#error "bulkql/parser.h pulled in bson.h"
#endif
#ifdef MONGOC_H
#error "bulkql/parser.h pulled in mongoc.h"
#endif
int main (void) {
   const char *sql = "BULK INSERT INTO t (a) VALUES (1);";
   bql_script_t *s; bql_error_t e;
   if (!bql_parse (sql, strlen (sql), NULL, &s, &e)) return 1;
   char *json = bql_script_to_json (s, NULL);
   puts (json);
   bql_free (json);
   bql_script_destroy (s);
   return 0;
}
''')
        exe = os.path.join(self.tmp, "parse_only")
        flags = run(["pkg-config", "--cflags", "--libs", "bulkql_parser"], env=self.env).stdout.split()
        self.assertFalse([f for f in flags if "bson" in f or "mongoc" in f], flags)
        run(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", src, "-o", exe] + flags
            + (SAN_FLAGS if self.san else []), env=self.env)
        out = run([exe], env=self.env).stdout
        self.assertRegex(out, r'^\{"version":\s*\d+')
        self.assertIn('"InsertStmt"', out)

    def check_sample(self, exe):
        """Run the sample twice on a fresh database: the first run inserts
        three documents, the second adds each row's qty again."""
        first = run([exe, bqltest.URI, self.dbname], env=self.env).stdout
        self.assertIn("1 statement(s), 3 parameter(s)\nparameter ? number 1, bound under \"1\"\n"
                      "parameter :warehouse, bound under \"warehouse\"\n"
                      "parameter :warehouse, bound under \"warehouse\"\n", first)
        self.assertIn('"statement": "BULK UPSERT"', first)
        self.assertIn('"q": {\n              "sku": {"$eq": "A-1"}', first)
        self.assertIn("batch 1: rows 1..2, nMatched 0, nUpserted 2, nFailed 0\n"
                      "batch 2: rows 3..3, nMatched 0, nUpserted 1, nFailed 0\n", first)
        self.assertIn('"nUpserted" : 3', first)
        self.assertIn("progress callbacks after batches: 2\n", first)
        got = [(d["sku"], d["qty"], d["warehouse"]) for d in self.docs("inventory", sort="sku")]
        self.assertEqual(got, [("A-1", 5, "north"), ("B-2", 7, "north"), ("C-3", 1, "south")])
        second = run([exe, bqltest.URI, self.dbname], env=self.env).stdout
        self.assertIn("batch 1: rows 1..2, nMatched 2, nUpserted 0, nFailed 0\n", second)
        got = [(d["sku"], d["qty"], d["warehouse"]) for d in self.docs("inventory", sort="sku")]
        self.assertEqual(got, [("A-1", 10, "north"), ("B-2", 14, "north"), ("C-3", 2, "south")])

    def links_bulkql_dynamically(self, exe):
        out = run(["readelf", "-d", exe]).stdout
        return "libbulkql" in out

    def build_with_cmake(self, name, static):
        b = os.path.join(self.tmp, name)
        cmd = ["cmake", "-S", SAMPLE, "-B", b, "-DCMAKE_PREFIX_PATH=" + self.prefix,
               "-DEMBED_STATIC=" + ("ON" if static else "OFF"),
               "-DCMAKE_C_FLAGS=-Wall -Wextra -Werror" + (" " + " ".join(SAN_FLAGS) if self.san else "")]
        if self.san:
            cmd.append("-DCMAKE_EXE_LINKER_FLAGS=" + " ".join(SAN_FLAGS))
        run(cmd, env=self.env)
        run(["cmake", "--build", b], env=self.env)
        return os.path.join(b, "embed")

    def test_sample_through_cmake_package(self):
        exe = self.build_with_cmake("embed-cmake", static=False)
        self.assertTrue(self.links_bulkql_dynamically(exe))
        self.check_sample(exe)

    def test_sample_through_cmake_package_static(self):
        exe = self.build_with_cmake("embed-cmake-static", static=True)
        self.assertFalse(self.links_bulkql_dynamically(exe))
        self.check_sample(exe)

    def test_sample_through_pkg_config_static(self):
        exe = os.path.join(self.tmp, "embed-pc-static")
        cflags = run(["pkg-config", "--cflags", "bulkql"], env=self.env).stdout.split()
        libs = run(["pkg-config", "--static", "--libs", "bulkql"], env=self.env).stdout.split()
        self.assertIn("-lbulkql", libs)
        self.assertIn("-lcsv", libs)
        # libbulkql.a, and everything it needs (Libs.private, Requires)
        libs = ["-Wl,-Bstatic", "-lbulkql", "-Wl,-Bdynamic"] + [f for f in libs if f != "-lbulkql"]
        run(["cc", "-Wall", "-Wextra", "-Werror", os.path.join(SAMPLE, "embed.c"), "-o", exe] + cflags + libs
            + (SAN_FLAGS if self.san else []), env=self.env)
        self.assertFalse(self.links_bulkql_dynamically(exe))
        self.check_sample(exe)

    def test_sample_through_pkg_config(self):
        exe = os.path.join(self.tmp, "embed-pc")
        flags = run(["pkg-config", "--cflags", "--libs", "bulkql"], env=self.env).stdout.split()
        run(["cc", "-Wall", "-Wextra", "-Werror", os.path.join(SAMPLE, "embed.c"), "-o", exe] + flags
            + (SAN_FLAGS if self.san else []), env=self.env)
        self.check_sample(exe)

    # ---- the library as an embedding program uses it (embed_cases.c) ----

    @classmethod
    def cases_exe(cls):
        """embed_cases.c built once through pkg-config against the
        installed shared library."""
        exe = os.path.join(cls.tmp, "embed_cases")
        if not os.path.exists(exe):
            flags = run(["pkg-config", "--cflags", "--libs", "bulkql"], env=cls.env).stdout.split()
            run(["cc", "-std=c11", "-D_DEFAULT_SOURCE", "-Wall", "-Wextra", "-Werror",
                 os.path.join(os.path.dirname(os.path.abspath(__file__)), "embed_cases.c"), "-o", exe] + flags
                + (SAN_FLAGS if cls.san else []), env=cls.env)
        return exe

    def case(self, name, *args, rc=0):
        p = subprocess.run([self.cases_exe(), name, bqltest.URI, self.dbname] + list(args), capture_output=True,
                           text=True, env=self.env, timeout=60)
        self.assertEqual(p.returncode, rc, p.stdout + p.stderr)
        return p.stdout

    def test_tls_options_set_in_code_reach_every_connection(self):
        # a TLS server whose certificate only the CA file set in code (not
        # in the URI) trusts: with ssl_opts given to bql_execute, the
        # cursor of INSERT ... SELECT, the connection writes are sent on
        # and the parallel_workers pool all connect and the rows are
        # stored; without, the caller's own client connects (it probes the
        # server and records the operation) but those connections fail
        # their handshake, and nothing is written
        import tlsproxy
        self.db.tls_src.insert_many([{"_id": i, "v": "v%d" % i} for i in range(1, 4)])
        with tlsproxy.TlsProxy(bqltest.URI) as proxy:
            def run_case(mode):
                p = subprocess.run([self.cases_exe(), "tls", proxy.uri, self.dbname, tlsproxy.CA_FILE, mode],
                                   capture_output=True, text=True, env=self.env, timeout=120)
                return p.returncode, p.stdout

            rc, out = run_case("keep")
            self.assertEqual(rc, 1, out)
            lines = out.splitlines()
            self.assertEqual([l.split(":")[0] for l in lines if l.startswith(("ok", "error"))],
                             ["error", "error", "error"], out)
            self.assertIn("error: BQL_ERR_CONNECTION: cannot run the SELECT's aggregation pipeline: ", out)
            self.assertEqual(sum(1 for l in lines if l == "nInserted 0"), 3, out)
            self.assertGreater(proxy.refused, 0)
            for coll in ("tls_copy", "tls_values", "tls_workers"):
                self.assertEqual(list(self.db[coll].find()), [], coll)

            refused = proxy.refused
            rc, out = run_case("give")
            self.assertEqual(rc, 0, out)
            self.assertEqual(out.splitlines(), ["ok", "nInserted 3", "nFailed 0", "nRows 3",
                                                "ok", "nInserted 2", "nFailed 0", "nRows 2",
                                                "ok", "nInserted 4", "nFailed 0", "nRows 4"])
            self.assertEqual(proxy.refused, refused)
        self.assertEqual(list(self.db.tls_copy.find({}, sort=[("_id", 1)])),
                         [{"_id": i, "v": "v%d" % i} for i in range(1, 4)])
        self.assertEqual(sorted(d["_id"] for d in self.db.tls_values.find()), [1, 2])
        self.assertEqual(sorted(d["_id"] for d in self.db.tls_workers.find()), [1, 2, 3, 4])

    def test_resume_an_operation(self):
        import datetime
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import test_resume
        opid = "65a1f0c2e4b0a1b2c3d4e5f7"
        out = self.case("resume", opid, rc=1)
        self.assertEqual(out, "error: BQL_ERR_REFUSED: no operation %s: no database's bulkql_operations holds it\n"
                         % opid)
        out = self.case("resume", "not-an-id", rc=1)
        self.assertEqual(out, "error: BQL_ERR_INVALID_ARG: invalid operation id \"not-an-id\": expected 24 "
                              "hexadecimal digits\n")
        sql = "BULK INSERT INTO res (_id) VALUES (1), (2), (3), (4) WITH (batch_size = 2)"
        self.db.res.insert_many([{"_id": 1}, {"_id": 2}])
        counters = dict.fromkeys(test_resume.COUNTERS, 0)
        counters.update(nInserted=2, rowsDone=2, batches=1)
        self.db.command("insert", "bulkql_operations", documents=[{
            "_id": opid, "statement": sql, "statementTruncated": False,
            "statementHash": test_resume.statement_hash(sql), "kind": "insert", "database": self.dbname,
            "collection": "res", "options": {}, "source": {"type": "values", "hash": test_resume.statement_hash(sql)},
            "state": "Failed", "reason": "the server went away",
            "heartbeatAt": datetime.datetime.now(datetime.timezone.utc), "host": "h", "pid": 1, "resumes": 0,
            "counters": counters, "checkpoint": {"completed": [{"first": 1, "last": 2}], "inFlight": [],
                                                 "sentThrough": 2, "batches": 1}}])
        out = self.case("resume", opid.upper())
        self.assertEqual(out, "ok\nnInserted 4\nnSkipped 2\nnAlreadyWritten 0\nresumes 1\noperationId %s\n" % opid)
        self.assertEqual(self.docs("res"), [{"_id": i} for i in range(1, 5)])

    def test_stream_with_bytes_in_its_stdio_buffer(self):
        # before: the descriptor was read past the stdio buffer, so the
        # header was lost and 880 rows failed
        out = self.case("stream-buffered")
        self.assertEqual(out, "ok\nnInserted 1000\nnFailed 0\nnRows 1000\n")
        got = [(d["n"], d["name"]) for d in self.docs("buffered", sort="n")]
        self.assertEqual(got, [(i, "row-%d" % i) for i in range(1, 1001)])

    def test_stream_without_a_file_descriptor(self):
        # before: fileno() of an fmemopen stream is -1 and the read waited
        # for ever (the timeout of case() failed the test)
        out = self.case("stream-fmemopen")
        self.assertEqual(out, "ok\nnInserted 3\nnFailed 0\nnRows 3\n")
        self.assertEqual([d["n"] for d in self.docs("mem", sort="n")], [1, 2, 3])

    def test_gzip_stream_with_bytes_in_its_stdio_buffer(self):
        path = os.path.join(self.tmp, "rows.ndjson.gz")
        with gzip.open(path, "wt") as f:
            for i in range(1, 2001):
                f.write('{"n": %d}\n' % i)
        out = self.case("stream-gzip", path)
        self.assertEqual(out, "ok\nnInserted 2000\nnFailed 0\nnRows 2000\n")
        self.assertEqual([d["n"] for d in self.docs("gz", sort="n")], list(range(1, 2001)))

    def test_rows_from_a_callback(self):
        out = self.case("rows", rc=1)
        self.assertEqual(out, "error: BQL_ERR_WRITE: 2 rows failed\nnInserted 2\nnFailed 2\nnRows 4\n"
                         "writeError: line 2: column qty: \"many\" is not an integer\n"
                         "writeError: line 3: CHECK (qty >= 0) failed\n")
        got = [{k: v for k, v in d.items() if k != "_id"} for d in self.docs("items", sort="sku")]
        self.assertEqual(got, [{"sku": "A-1", "qty": 5, "extra": True}, {"sku": "D-4", "qty": 9}])
        errs = list(self.db.bulk_operation_errors.find())
        self.assertEqual(len(errs), 1)
        self.assertEqual([e["row"] for e in errs[0]["writeErrors"]], [2, 3])

    def test_rows_from_a_callback_are_documents(self):
        out = self.case("rows-csv", rc=1)
        self.assertIn("rows from next_row are documents: write FROM STDIN FORMAT NDJSON", out)
        self.assertNotIn("items", self.db.list_collection_names())

    def test_fields_past_the_callers_size_are_not_read(self):
        out = self.case("old-size")
        self.assertEqual(out, "ok\nnInserted 1\nnFailed 0\nnRows 1\n")

    def test_parse_and_plan_options_past_the_callers_size_are_not_read(self):
        # before: bql_parse read the allocator past an older caller's
        # struct and crashed on the junk pointer there
        out = self.case("old-parse-size")
        self.assertEqual(out, "parsed old.sql\nok nInserted 1\n")
        self.assertEqual([d["a"] for d in self.docs("op")], [1])

    def test_plan_opts_override_and_default(self):
        out = self.case("plan-opts")
        self.assertEqual(out, 'ok\nnInserted 3\nnFailed 0\nnRows 3\nplan: "batch_size": {"$numberInt": "7"}\n'
                         'ok\nnInserted 1\nnFailed 0\nnRows 1\nplan: "batch_size": {"$numberInt": "3"}\n'
                         'ok\nnInserted 1\nnFailed 0\nnRows 1\nplan: "batch_size": {"$numberInt": "3"}\n')
        self.assertEqual([d["a"] for d in self.docs("po", sort="a")], [1, 2, 3, 4, 5])
        # metrics = false from opts, even over the statement's metrics = true;
        # the statements' operations are tracked all the same
        self.assertEqual(sorted(self.db.list_collection_names()), ["bulkql_operations", "po"])
        self.assertEqual([(o["collection"], o["state"]) for o in self.db.bulkql_operations.find()],
                         [("po", "Complete")] * 3)

    def test_plan_opts_refused_by_name(self):
        out = self.case("plan-opts-bad")
        self.assertEqual(out, 'plan error: BQL_ERR_OPTION: opts: unknown option "batch_sise"\n'
                         'hint: Did you mean "batch_size"?\n'
                         'plan error: BQL_ERR_OPTION: opts: option "metrics" takes TRUE or FALSE, not a string\n'
                         'plan error: BQL_ERR_OPTION: opts: option "max_delete_count" is not valid for BULK INSERT\n')

    def test_exec_opts_switch_writes_off(self):
        out = self.case("exec-opts", rc=1)
        self.assertIn("error: BQL_ERR_WRITE: 1 row failed\nnInserted 1\nnFailed 1\n", out)
        self.assertIn('error: BQL_ERR_OPTION: bql_execute opts: unknown option "metric"\n', out)
        # neither bulk_operation_metrics nor bulk_operation_errors; the
        # operation of the statement that ran (the one refused by its opts
        # did not start)
        self.assertEqual(sorted(self.db.list_collection_names()), ["bulkql_operations", "xo"])
        self.assertEqual([(o["state"], o["reason"]) for o in self.db.bulkql_operations.find()],
                         [("Failed", "1 row failed")])

    def test_on_checkpoint_is_called_per_checkpoint_written(self):
        out = self.case("checkpoints")
        self.assertEqual(out, "checkpoint 24: batches 1 rows 2 inserted 2\n"
                              "checkpoint 24: batches 2 rows 4 inserted 4\n"
                              "checkpoint 24: batches 3 rows 5 inserted 5\n"
                              "ok\nnInserted 5\nnFailed 0\nnRows 5\n"
                              # checkpoint_interval = 2: after batches 2 (not 1, 3)
                              "checkpoint 24: batches 2 rows 2 inserted 2\n"
                              "ok\nnInserted 3\nnFailed 0\nnRows 3\n"
                              # a dry run writes no operation: no checkpoint (its
                              # reply holds the metrics it would write)
                              "ok\nnInserted 0\nnFailed 0\nnRows 1\nnWouldWrite 1\nreply has metrics\n")
        self.assertEqual([(o["state"], o["checkpoint"]["completed"]) for o in
                          self.db.bulkql_operations.find({}, sort=[("startedAt", 1), ("_id", 1)])],
                         [("Complete", [{"first": 1, "last": 5}]), ("Complete", [{"first": 1, "last": 3}])])

    def test_operations_list_get_abort(self):
        import datetime
        now = datetime.datetime.now(datetime.timezone.utc)
        self.db.bulkql_operations.insert_many([
            {"_id": "a" * 24, "state": "InProgress", "startedAt": now, "heartbeatAt": now},
            {"_id": "b" * 24, "state": "InProgress", "startedAt": now - datetime.timedelta(hours=1),
             "heartbeatAt": now - datetime.timedelta(minutes=2)},
            {"_id": "c" * 24, "state": "Complete", "startedAt": now - datetime.timedelta(hours=2)}])
        out = self.case("operations-api", "A" * 24)
        self.assertEqual(out, "listed %s InProgress\nlisted %s Interrupted\nlisted %s Complete\n"
                              "got InProgress\nabort ok\n"
                              "abort again: BQL_ERR_REFUSED: operation %s is Aborted already: there is nothing to "
                              "abort\n"
                              "bad id: BQL_ERR_INVALID_ARG: invalid operation id 'not-an-id': 24 hexadecimal digits, "
                              "as operationId shows it\n"
                              "old size ok\n" % ("a" * 24, "b" * 24, "c" * 24, "a" * 24))
        doc = self.db.bulkql_operations.find_one({"_id": "a" * 24})
        self.assertEqual((doc["state"], doc["reason"]), ("Aborted", "by the embedding test"))

    def test_errstr_and_params(self):
        self.assertEqual(self.case("errstr"), "BQL_ERR_OK BQL_ERR_WRITE BQL_ERR_INVALID_ARG BQL_ERR_UNKNOWN\n")
        self.assertEqual(self.case("params"), "4 params: ?1@22 who@29 ?3@44 who@54\n4 with max 0\n")


if __name__ == "__main__":
    bqltest.main()
