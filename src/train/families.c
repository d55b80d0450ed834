/*
 * families.c: the model family table described through the public API, so
 * the CLI (and any tool) can list families and their parameters without
 * reaching into src/model.
 */
#include <string.h>

#include "lathe/model.h"
#include "model/model.h"

#include "core/banned.h"

bool lathe_family_at(size_t index, lathe_family_info *out)
{
    size_t n;
    const lathe__model_ops *const *all = lathe__model_all(&n);
    if (index >= n)
        return false;
    const lathe__model_ops *ops = all[index];
    out->name = ops->name;
    out->summary = ops->summary;
    out->classification = (ops->tasks & LATHE__TASK_CLASSIFICATION) != 0;
    out->regression = (ops->tasks & LATHE__TASK_REGRESSION) != 0;
    out->n_params = ops->n_params;
    return true;
}

bool lathe_family_param_at(size_t family, size_t param, lathe_param_info *out)
{
    static const char *const types[] = {"number", "integer", "boolean", "choice", "text"};
    size_t n;
    const lathe__model_ops *const *all = lathe__model_all(&n);
    if (family >= n || param >= all[family]->n_params)
        return false;
    const lathe__param_spec *spec = &all[family]->params[param];
    out->name = spec->name;
    out->type = (unsigned)spec->type < 5 ? types[spec->type] : "?";
    out->default_value = spec->default_value;
    out->choices = spec->type == LATHE__PARAM_CHOICE ? spec->choices : NULL;
    out->help = spec->help;
    return true;
}
