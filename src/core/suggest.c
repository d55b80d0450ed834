/*
 * suggest.c: edit distance over short names, for "did you mean"
 * hints. Names longer than 63 bytes get no suggestion.
 */
#include <string.h>

#include "core/suggest.h"

#include "core/banned.h"

#define MAX_NAME 64

/* Optimal string alignment distance: Levenshtein plus adjacent transpositions ("modle"). */
static size_t distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    size_t rows[3][MAX_NAME + 1];
    size_t *before = rows[0], *previous = rows[1], *current = rows[2];
    for (size_t j = 0; j <= m; j++)
        previous[j] = j;
    for (size_t i = 1; i <= n; i++) {
        current[0] = i;
        for (size_t j = 1; j <= m; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            size_t best = previous[j - 1] + cost;
            if (previous[j] + 1 < best)
                best = previous[j] + 1;
            if (current[j - 1] + 1 < best)
                best = current[j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                before[j - 2] + 1 < best)
                best = before[j - 2] + 1;
            current[j] = best;
        }
        size_t *oldest = before;
        before = previous;
        previous = current;
        current = oldest;
    }
    return previous[m];
}

const char *lathe__suggest(const char *name, const char *const *candidates, size_t n)
{
    size_t length = strlen(name);
    if (length == 0 || length >= MAX_NAME)
        return NULL;
    const char *best = NULL;
    size_t best_distance = length / 3 + 1;
    for (size_t i = 0; i < n; i++) {
        if (strlen(candidates[i]) >= MAX_NAME)
            continue;
        size_t d = distance(name, candidates[i]);
        if (d < best_distance) {
            best = candidates[i];
            best_distance = d;
        }
    }
    return best;
}
