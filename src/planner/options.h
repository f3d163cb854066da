/*
 * options.h — the table of WITH options (SPEC §2), internal to the
 * planner and its test tools. One row per option gives its name, the
 * group it is documented under, its type and range, its default, the
 * bql_options_t field it sets (offset and C type, checked at compile
 * time) and its help line; options.c reads the table for defaults
 * (bql_options_init), checks (bql_options_resolve), EXPLAIN
 * (bql_options_append) and the help text (bql_options_help), and
 * tests/tools/bql_options prints the man page's option list from it.
 * Adding an option is one row in options.c plus its bql_options_t field.
 */
#ifndef BQL_OPTIONS_H
#define BQL_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "planner.h"

/* How a value is written and checked. */
typedef enum {
   BQL_OPT_INT,           /* integer in [min, max] */
   BQL_OPT_BOOL,          /* TRUE / FALSE */
   BQL_OPT_STRING,        /* string (or a bare word), not empty */
   BQL_OPT_ENUM,          /* one of the row's values (a string) */
   BQL_OPT_SIZE,          /* '64MB', '1GB', or bytes, in [min, max] bytes */
   BQL_OPT_SECONDS,       /* seconds (a number) or an interval; stored in ms, in [min, max] ms */
   BQL_OPT_INTERVAL,      /* '2 years', INTERVAL '30 days'; stored in whole seconds, in [min, max] */
   BQL_OPT_WRITE_CONCERN  /* 'majority', w as an integer, or {w, j, wtimeout} */
} bql_opt_type_t;

/* The C type of the field an option sets (the typed setter): the row's
 * FIELD_x macro checks it against the field's declared type. */
typedef enum {
   BQL_FIELD_I32,  /* int32_t */
   BQL_FIELD_I64,  /* int64_t */
   BQL_FIELD_BOOL, /* bool */
   BQL_FIELD_TRI,  /* int: -1 not said, 0 false, 1 true */
   BQL_FIELD_STR,  /* char *, owned (bson_strdup); NULL = not set */
   BQL_FIELD_WC,   /* bson_t write_concern: its w and wtimeout */
   BQL_FIELD_WC_J  /* bson_t write_concern: its j */
} bql_opt_field_t;

/* Row flags. */
enum {
   BQL_OPTF_NONE_DEFAULT = 1u << 0, /* the default is a sentinel outside the range meaning "none" (def_text says
                                       which); EXPLAIN prints it as null */
   BQL_OPTF_EMPTY_OFF = 1u << 1,    /* a string option: '' sets NULL (turns the feature off) */
   BQL_OPTF_SHOW_GIVEN = 1u << 2    /* EXPLAIN lists the option only when it was given */
};

/* Statement kinds an option applies to (bit 1 << bql_kind_t). */
#define BQL_OPT_K_INSERT (1u << BQL_KIND_INSERT)
#define BQL_OPT_K_UPDATE (1u << BQL_KIND_UPDATE)
#define BQL_OPT_K_UPSERT (1u << BQL_KIND_UPSERT)
#define BQL_OPT_K_DELETE (1u << BQL_KIND_DELETE)
#define BQL_OPT_K_ALL (BQL_OPT_K_INSERT | BQL_OPT_K_UPDATE | BQL_OPT_K_UPSERT | BQL_OPT_K_DELETE)

typedef struct bql_opt_def {
   const char *name;           /* as written in WITH, lower case */
   const char *group;          /* the group it is documented under (any group takes any option) */
   bql_opt_type_t type;
   int64_t min, max;           /* INT, SIZE, SECONDS (ms), INTERVAL (s): the accepted range, inclusive */
   const char *const *values;  /* ENUM: the accepted words, NULL-terminated */
   unsigned kinds;             /* BQL_OPT_K_x: the statements it applies to */
   int64_t def;                /* the default of an integer, bool, size, ms or s field */
   const char *def_str;        /* the default of a string field (NULL: none) */
   const char *def_text;       /* how help writes the default when it is not the value (NULL: the value) */
   unsigned flags;             /* BQL_OPTF_x */
   bql_opt_field_t field;      /* the C type at offset */
   size_t offset;              /* into bql_options_t */
   const char *syntax;         /* the value as help writes it: "n", "bool", "'size'" */
   const char *help;           /* one line: lower case, no final period */
   const char *range_hint;     /* the hint of an out-of-range error, or NULL */
   const char *doc;            /* the man page's further text (roff, may be NULL) */
} bql_opt_def_t;

/* An option group name and what it is for. */
typedef struct bql_opt_group {
   const char *name;
   const char *help;
} bql_opt_group_t;

/* The table (static, sorted by name; EXPLAIN lists options in this
 * order) and its length. */
const bql_opt_def_t *bql_opt_defs (size_t *n);
/* The option groups (static), in the order help lists them. */
const bql_opt_group_t *bql_opt_groups (size_t *n);
/* The row named name (exact, lower case), or NULL. */
const bql_opt_def_t *bql_opt_find (const char *name);

/* The default as help and the man page write it ("1000", "true",
 * "'256MB'", def_text) into buf (size bytes, NUL-terminated); buf. */
const char *bql_opt_default_text (const bql_opt_def_t *d, char *buf, size_t size);
/* The range as the man page writes it ("0 to 100000", "at least 1",
 * "1MB to 1TB", "'append' or 'overwrite'"), or "" when the type says all
 * (bool, string, write concern); buf. */
const char *bql_opt_range_text (const bql_opt_def_t *d, char *buf, size_t size);
/* The statements an option applies to ("every statement", "BULK DELETE",
 * "BULK INSERT, BULK UPSERT"); buf. */
const char *bql_opt_kinds_text (const bql_opt_def_t *d, char *buf, size_t size);
/* A size in bytes as an option value: the largest unit that divides it
 * ("1MB", "256MB", "1TB", "1000B"); buf. */
const char *bql_opt_size_text (int64_t bytes, char *buf, size_t size);

#endif /* BQL_OPTIONS_H */
