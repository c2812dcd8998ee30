/* suggest.h — "did you mean": the closest of a few names to a mistyped one, by edit
 * distance. Config keys and choices, subcommands and options all use it. */
#ifndef LINTRAIN_SUGGEST_H
#define LINTRAIN_SUGGEST_H

#include <stdbool.h>
#include <stddef.h>

/* Levenshtein distance (insert, delete, substitute: cost 1) between the na bytes at a
 * and the nb bytes at b; SIZE_MAX when either is longer than 64 bytes (never close). */
size_t lt_suggest_edit_distance(const char *a, size_t na, const char *b, size_t nb);

/* Whether a candidate of nc bytes at distance d is worth suggesting for typed: within
 * max(2, len/3) edits, and not a rewrite of every character. */
bool lt_suggest_close_enough(size_t d, const char *typed, size_t nc);

/* The closest of the "|"-separated names of list to typed, when close enough; its
 * length in *len. NULL when none is. The result points into list. */
const char *lt_suggest(const char *typed, const char *list, size_t *len);

#endif
