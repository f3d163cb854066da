/*
 * bulkql/export.h — symbol visibility. The libraries are built with hidden
 * visibility; only functions marked BQL_EXPORT (all named bql_*) are
 * exported from the shared objects.
 */
#ifndef BULKQL_EXPORT_H
#define BULKQL_EXPORT_H

#if defined(_WIN32)
#define BQL_EXPORT
#elif defined(__GNUC__) || defined(__clang__)
#define BQL_EXPORT __attribute__ ((visibility ("default")))
#else
#define BQL_EXPORT
#endif

#endif /* BULKQL_EXPORT_H */
