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
#endif

#endif /* BULKQL_BULKQL_H */
