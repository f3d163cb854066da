/*
 * edit_distance.c — the optimal string alignment distance of two words
 * (edit_distance.h), over three rolling rows of at most 65 entries.
 */
#include <ctype.h>

#include "edit_distance.h"

int
bql_edit_distance (const char *a, size_t alen, const char *b, size_t blen)
{
   /* Optimal string alignment distance over three rolling rows. */
   if (alen > 64 || blen > 64) {
      return 99;
   }
   int rows[3][65];
   int *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
   for (size_t j = 0; j <= blen; j++) {
      prev[j] = (int) j;
   }
   for (size_t i = 1; i <= alen; i++) {
      cur[0] = (int) i;
      for (size_t j = 1; j <= blen; j++) {
         int ca = tolower ((unsigned char) a[i - 1]);
         int cb = tolower ((unsigned char) b[j - 1]);
         int cost = ca != cb;
         int v = prev[j] + 1;
         if (cur[j - 1] + 1 < v) {
            v = cur[j - 1] + 1;
         }
         if (prev[j - 1] + cost < v) {
            v = prev[j - 1] + cost;
         }
         if (i > 1 && j > 1 && ca == tolower ((unsigned char) b[j - 2]) &&
             tolower ((unsigned char) a[i - 2]) == cb && prev2[j - 2] + 1 < v) {
            v = prev2[j - 2] + 1;
         }
         cur[j] = v;
      }
      int *t = prev2;
      prev2 = prev;
      prev = cur;
      cur = t;
   }
   return prev[blen];
}
