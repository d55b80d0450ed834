/*
 * registry.c: the table of model families.
 *
 * A plain list, in the order `lathe train --help` shows them. A new family
 * declares its lathe__model_ops next to its code and adds one line below.
 * Names are unique; lathe__model_find matches them exactly.
 */
#include <string.h>

#include "model/cart.h"
#include "model/gbdt.h"
#include "model/linear.h"
#include "model/model.h"

#include "core/banned.h"

static const lathe__model_ops *const families[] = {
    &lathe__logistic_ops,         /* logistic.c */
    &lathe__linear_ops,           /* linear_regression.c */
    &lathe__ridge_ops,            /* linear_regression.c */
    &lathe__lasso_ops,            /* linear_regression.c */
    &lathe__elasticnet_ops,       /* linear_regression.c */
    &lathe__linear_svm_ops,       /* linear_svm.c */
    &lathe__tree_ops,             /* cart.c */
    &lathe__forest_ops,           /* forest.c */
    &lathe__extra_trees_ops,      /* forest.c */
    &lathe__isolation_forest_ops, /* isolation_forest.c */
    &lathe__gbdt_ops,             /* gbdt.c */
};

const lathe__model_ops *lathe__model_find(const char *name)
{
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
        if (strcmp(families[i]->name, name) == 0)
            return families[i];
    return NULL;
}

const lathe__model_ops *const *lathe__model_all(size_t *count)
{
    *count = sizeof families / sizeof families[0];
    return families;
}
