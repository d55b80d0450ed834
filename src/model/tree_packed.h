/*
 * tree_packed.h: walking an ensemble's inference layout (internal to
 * model/tree*.c; see tree_packed.c). Callers check lathe__packed_usable
 * first: a layout built before the trees changed is ignored.
 */
#ifndef LATHE_MODEL_TREE_PACKED_H
#define LATHE_MODEL_TREE_PACKED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/tree.h"

bool lathe__packed_usable(const lathe__ensemble *ensemble);
/* Whether some tree is too large to stay in cache from one block of 64 rows to the next. */
bool lathe__packed_large(const lathe__ensemble *ensemble);
/* The leaf (a node index of tree t) that `row` ends in. */
size_t lathe__packed_leaf(const lathe__ensemble *ensemble, size_t t, const double *row);
/* Whether any of n_rows dense rows misses a value some split reads. */
bool lathe__packed_any_missing(const lathe__ensemble *ensemble, const double *rows, size_t n_cols,
                               size_t n_rows);
/* The leaves of tree t for n_rows dense rows of n_cols values each; `missing` says
   whether the rows may miss values (lathe__packed_any_missing). */
void lathe__packed_leaves(const lathe__ensemble *ensemble, size_t t, const double *rows,
                          size_t n_cols, size_t n_rows, bool missing, uint32_t *leaves);

#endif
