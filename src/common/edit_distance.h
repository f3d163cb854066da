/*
 * edit_distance.h — how far apart two words are, for the "did you mean"
 * hints of keywords (parser), option, group and format names (planner).
 * Needs libc only.
 */
#ifndef BQL_EDIT_DISTANCE_H
#define BQL_EDIT_DISTANCE_H

#include <stddef.h>

/* Edit distance of a[0..alen) and b[0..blen) (insertions, deletions,
 * substitutions and transpositions of neighbours: optimal string
 * alignment), ASCII case-insensitive; 99 when either is longer than 64
 * bytes. Allocates nothing. */
int bql_edit_distance (const char *a, size_t alen, const char *b, size_t blen);

#endif /* BQL_EDIT_DISTANCE_H */
