/*
 * version.c — the library's version at run time.
 */
#include "bulkql/version.h"

const char *
bql_version (void)
{
   return BQL_VERSION_STRING;
}
