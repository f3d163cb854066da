/*
 * open.c — bql_source_open: the top of the row sources, the one call the
 * executor opens a statement's rows with. It picks the plan's source:
 * VALUES (values.c) or FROM 'path' / FROM STDIN (file.c), which are built
 * on the source object of source.c.
 */
#include "source.h"

bql_source_t *
bql_source_open (const bql_plan_t *plan, const bql_source_io_t *io, const volatile int *cancel, bql_error_t *error)
{
   return plan->has_rows ? bql_source_values_open (plan) : bql_source_file_open (plan, io, cancel, error);
}
