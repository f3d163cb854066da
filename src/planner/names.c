/*
 * names.c — database and collection names checked at plan time, with
 * MongoDB's rules, so that a name the server would refuse, or one that
 * reaches where it should not, is an error at the name's span before
 * anything is sent: no empty name, no NUL, valid UTF-8, no '$' in a
 * collection name,
 * none of / \ . " $ * < > : | ? or a space in a database name, a database
 * name under 64 bytes and a namespace ("db.coll") under 255 bytes (the
 * server's limits). Writing into the admin, local or config database or
 * into a system.* collection needs the statement option
 * allow_system = true, so that it is never an accident. The same rules
 * apply to archive_collection and error_collection, which live in the
 * statement's database.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "planner.h"

/* The words for a character that is not allowed in a name. */
static void
describe_char (char c, char *out, size_t size)
{
   if (c == ' ') {
      snprintf (out, size, "a space");
   } else if (c == '\0') {
      snprintf (out, size, "a NUL byte");
   } else {
      snprintf (out, size, "\"%c\"", c);
   }
}

bool
bql_database_name_check (const char *name, char *why, size_t size)
{
   static const char bad[] = "/\\. \"$*<>:|?";
   if (!name || !*name) {
      snprintf (why, size, "the database name is empty");
      return false;
   }
   size_t n = strlen (name);
   if (!bson_utf8_validate (name, n, false)) {
      /* (the name is not shown: the message would not be UTF-8 either) */
      snprintf (why, size, "invalid database name: it is not UTF-8");
      return false;
   }
   size_t at = strcspn (name, bad);
   if (at < n) {
      char c[16];
      describe_char (name[at], c, sizeof c);
      snprintf (why, size, "invalid database name \"%s\": %s is not allowed in a database name", name, c);
      return false;
   }
   if (n >= BQL_DATABASE_NAME_MAX) {
      snprintf (why, size, "invalid database name \"%.64s...\": %zu bytes long; the server's limit is %d bytes",
                name, n, BQL_DATABASE_NAME_MAX - 1);
      return false;
   }
   return true;
}

bool
bql_collection_name_check (const char *database, const char *name, char *why, size_t size)
{
   if (!name || !*name) {
      snprintf (why, size, "the collection name is empty");
      return false;
   }
   if (!bson_utf8_validate (name, strlen (name), false)) {
      snprintf (why, size, "invalid collection name: it is not UTF-8");
      return false;
   }
   const char *dollar = strchr (name, '$');
   if (dollar) {
      snprintf (why, size, "invalid collection name \"%s\": \"$\" is not allowed in a collection name", name);
      return false;
   }
   size_t ns = (database ? strlen (database) + 1 : 0) + strlen (name);
   if (ns >= BQL_NAMESPACE_MAX) {
      snprintf (why, size,
                "invalid collection name \"%.64s...\": the namespace \"%s.<collection>\" is %zu bytes long; the "
                "server's limit is %d bytes",
                name, database ? database : "", ns, BQL_NAMESPACE_MAX - 1);
      return false;
   }
   return true;
}

bool
bql_name_is_system (const char *database, const char *collection)
{
   if (database && (!strcmp (database, "admin") || !strcmp (database, "local") || !strcmp (database, "config"))) {
      return true;
   }
   return collection && !strncmp (collection, "system.", 7);
}

static const bql_node_t *
statement_relation (const bql_node_t *stmt)
{
   switch (stmt->kind) {
   case BQL_T_InsertStmt:
      return bql_cast (InsertStmt, stmt)->relation;
   case BQL_T_UpdateStmt:
      return bql_cast (UpdateStmt, stmt)->relation;
   case BQL_T_UpsertStmt:
      return bql_cast (UpsertStmt, stmt)->relation;
   case BQL_T_DeleteStmt:
      return bql_cast (DeleteStmt, stmt)->relation;
   default:
      return NULL;
   }
}

/* The Option node named name in the WITH groups, or NULL. */
static const bql_Option_t *
find_option (const bql_list_t *groups, const char *name)
{
   for (int32_t g = 0; groups && g < groups->length; g++) {
      const bql_OptionGroup_t *grp = bql_cast (OptionGroup, groups->items[g]);
      for (int32_t j = 0; grp->options && j < grp->options->length; j++) {
         const bql_Option_t *opt = bql_cast (Option, grp->options->items[j]);
         if (!strcasecmp (opt->name, name)) {
            return opt;
         }
      }
   }
   return NULL;
}

static const char system_hint[] =
   "Add WITH (allow_system = true) to write there on purpose.";

/* Check a collection named by an option (archive_collection,
 * error_collection) of the statement's database. */
static bool
check_option_collection (bql_planner_t *pl, const bql_list_t *groups, const char *option, const char *coll)
{
   if (!coll) {
      return true;
   }
   const bql_Option_t *opt = find_option (groups, option);
   const bql_node_t *at = opt ? opt->value : pl->plan->stmt;
   char why[400];
   if (!bql_collection_name_check (pl->plan->database, coll, why, sizeof why)) {
      return bql_plan_error (pl, at, BQL_ERR_VALUE, NULL, "%s: %s", option, why);
   }
   if (!pl->plan->opts.allow_system && bql_name_is_system (NULL, coll)) {
      return bql_plan_error (pl, at, BQL_ERR_REFUSED, system_hint,
                             "%s \"%s\" is a system collection; writing into it needs allow_system = true", option,
                             coll);
   }
   return true;
}

bool
bql_plan_check_relation (bql_planner_t *pl, const bql_node_t *rel, const char *database, const char *collection)
{
   char why[400];
   if (!bql_database_name_check (database, why, sizeof why) ||
       !bql_collection_name_check (database, collection, why, sizeof why)) {
      return bql_plan_error (pl, rel, BQL_ERR_VALUE, NULL, "%s", why);
   }
   return true;
}

bool
bql_plan_check_names (bql_planner_t *pl, const bql_node_t *stmt, const bql_list_t *groups)
{
   const bql_plan_t *plan = pl->plan;
   const bql_node_t *rel = statement_relation (stmt);
   const bql_node_t *at = rel ? rel : stmt;
   if (!plan->opts.allow_system && bql_name_is_system (plan->database, plan->collection)) {
      if (bql_name_is_system (plan->database, NULL)) {
         return bql_plan_error (pl, at, BQL_ERR_REFUSED, system_hint,
                                "writing into the \"%s\" database needs allow_system = true", plan->database);
      }
      return bql_plan_error (pl, at, BQL_ERR_REFUSED, system_hint,
                             "writing into the system collection \"%s\" needs allow_system = true",
                             plan->collection);
   }
   const char *opsdb = plan->opts.operations_database;
   if (opsdb && *opsdb) {
      const bql_Option_t *opt = find_option (groups, "operations_database");
      char why[400];
      if (!bql_database_name_check (opsdb, why, sizeof why)) {
         return bql_plan_error (pl, opt ? opt->value : stmt, BQL_ERR_VALUE, NULL, "operations_database: %s", why);
      }
      if (!plan->opts.allow_system && bql_name_is_system (opsdb, NULL)) {
         return bql_plan_error (pl, opt ? opt->value : stmt, BQL_ERR_REFUSED, system_hint,
                                "operations_database \"%s\" is a system database; writing into it needs "
                                "allow_system = true",
                                opsdb);
      }
   }
   return check_option_collection (pl, groups, "archive_collection", plan->opts.archive_collection) &&
          check_option_collection (pl, groups, "error_collection", plan->opts.error_collection);
}
