/* suggest.h: "did you mean" for misspelled names (parameters, keys, commands). */
#ifndef LATHE_SUGGEST_H
#define LATHE_SUGGEST_H

#include <stddef.h>

/*
 * The candidate closest to `name` by edit distance, if it is close enough to
 * be a plausible typo (at most a third of the name's length, and at least 1
 * edit away from nothing); NULL otherwise.
 */
const char *lathe__suggest(const char *name, const char *const *candidates, size_t n);

#endif
