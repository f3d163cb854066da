/*
 * json_pretty.h — re-indenting JSON text for reading (json_pretty.c).
 */
#ifndef BQL_JSON_PRETTY_H
#define BQL_JSON_PRETTY_H

/* json re-indented, newline-terminated; malloc'd (free), NULL on OOM. */
char *bql_json_pretty (const char *json);

#endif
