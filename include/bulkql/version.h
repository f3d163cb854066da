/*
 * bulkql/version.h — the library version, at compile time and at run time.
 * Threads: bql_version is thread-safe.
 */
#ifndef BULKQL_VERSION_H
#define BULKQL_VERSION_H

#include "bulkql/export.h"

#define BQL_VERSION_MAJOR 0
#define BQL_VERSION_MINOR 1
#define BQL_VERSION_PATCH 0
#define BQL_VERSION_STRING "0.1.0"

#ifdef __cplusplus
extern "C" {
#endif

/* The version of the linked library ("0.1.0"); a static string. */
BQL_EXPORT const char *bql_version (void);

#ifdef __cplusplus
}
#endif

#endif /* BULKQL_VERSION_H */
