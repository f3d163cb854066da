/*
 * test_cli_format.c — the bulkql command's formatting of a result's
 * elapsed time (progress.c, cli_format_elapsed): milliseconds under a
 * minute, then minutes and seconds, then hours, minutes and seconds, so
 * that a long load does not print "elapsed 1262303.2 ms".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cli.h"

static void
check (double ms, const char *want)
{
   char out[64];
   cli_format_elapsed (out, sizeof out, ms);
   assert_string_equal (out, want);
}

static void
test_elapsed (void **state)
{
   (void) state;
   check (0.0, "0.0 ms");
   check (812.44, "812.4 ms");
   check (59999.9, "59999.9 ms");
   check (60000.0, "1 min 0.0 s");
   check (1262303.2, "21 min 2.3 s");
   check (3599949.0, "59 min 59.9 s");
   check (3600000.0, "1 h 00 min 00 s");
   check (19323456.0, "5 h 22 min 03 s");
}

int
main (void)
{
   const struct CMUnitTest tests[] = {
      cmocka_unit_test (test_elapsed),
   };
   return cmocka_run_group_tests (tests, NULL, NULL);
}
