/*
 * bulkql/bulkql.h — the umbrella header of BulkQL, SQL-style bulk writes
 * for MongoDB. Include it to get the whole public API:
 *   bulkql/error.h   errors and their rendering            (libc)
 *   bulkql/ast.h     the syntax tree                       (libc)
 *   bulkql/parser.h  text to AST, AST to JSON              (libc)
 *   bulkql/plan.h    AST to plan, EXPLAIN                  (libbson)
 *   bulkql/exec.h    running plans on a server             (libmongoc)
 * Programs that only parse include bulkql/parser.h and link bulkql_parser;
 * programs that only plan include bulkql/plan.h and link bulkql_planner.
 * README "Embedding" shows the build (pkg-config, CMake) and walks
 * through samples/embed; bulkql(1) "STATEMENTS", "WITH options" and
 * "LOGGING" describe the language, the options and what is written.
 *
 * Threads: every function of the library is thread-safe (no global
 * state) for distinct objects; a script or a plan may be read by several
 * threads at once but destroyed by one when no other uses it.
 * bql_execute runs the statement with internal threads of its own (a
 * reader thread, and worker threads with parallel_workers > 1), all
 * joined before it returns; bulkql/exec.h says which thread runs each
 * callback.
 */
#ifndef BULKQL_BULKQL_H
#define BULKQL_BULKQL_H

#include "bulkql/ast.h"
#include "bulkql/error.h"
#include "bulkql/parser.h"
#include "bulkql/plan.h"
#include "bulkql/version.h"
#if !defined(BULKQL_NO_EXEC)
#include "bulkql/exec.h"
#include "bulkql/operations.h"
#endif

#endif /* BULKQL_BULKQL_H */
