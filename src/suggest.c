/* suggest.c — edit distance and the "did you mean" choice built on it. */
#include "lintrain/suggest.h"

#include <stdint.h>
#include <string.h>

#define EDIT_MAX 64  /* longer strings are never close to a name */

/* Two rows of the dynamic programme. */
size_t lt_suggest_edit_distance(const char *a, size_t na, const char *b, size_t nb)
{
    if (na > EDIT_MAX || nb > EDIT_MAX) {
        return SIZE_MAX;
    }
    size_t row[EDIT_MAX + 1];
    for (size_t j = 0; j <= nb; j++) {
        row[j] = j;
    }
    for (size_t i = 1; i <= na; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best) {
                best = row[j] + 1;
            }
            if (row[j - 1] + 1 < best) {
                best = row[j - 1] + 1;
            }
            row[j] = best;
            diag = up;
        }
    }
    return row[nb];
}

bool lt_suggest_close_enough(size_t d, const char *typed, size_t nc)
{
    size_t len = strlen(typed);
    size_t limit = len / 3 > 2 ? len / 3 : 2;
    return d <= limit && d < (len > nc ? len : nc);
}

const char *lt_suggest(const char *typed, const char *list, size_t *len)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    *len = 0;
    for (const char *p = list; p && *p;) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        size_t d = lt_suggest_edit_distance(typed, strlen(typed), p, n);
        if (d < best_d && lt_suggest_close_enough(d, typed, n)) {
            best = p;
            best_d = d;
            *len = n;
        }
        p = bar ? bar + 1 : NULL;
    }
    return best;
}
