/*
 * tree_importance.c: how much an ensemble relies on each feature: summed
 * split gain and split count, read from the fitted nodes in one pass over
 * them. (Permutation importance, for any model, is in permutation.c.)
 */
#include <string.h>

#include "core/internal.h"
#include "model/tree.h"

#include "core/banned.h"

static void sum_over_splits(const lathe__ensemble *ensemble, bool gain, double *out)
{
    memset(out, 0, ensemble->n_features * sizeof *out);
    for (size_t t = 0; t < ensemble->n_trees; t++) {
        const lathe__tree *tree = &ensemble->trees[t];
        for (size_t node = 0; node < tree->n_nodes; node++)
            if (tree->left[node] >= 0 && tree->feature[node] < ensemble->n_features)
                out[tree->feature[node]] += gain ? tree->gain[node] : 1;
    }
}

void lathe__ensemble_importance_gain(const lathe__ensemble *ensemble, double *out)
{
    sum_over_splits(ensemble, true, out);
}

void lathe__ensemble_importance_splits(const lathe__ensemble *ensemble, double *out)
{
    sum_over_splits(ensemble, false, out);
}
