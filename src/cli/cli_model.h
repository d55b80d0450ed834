/*
 * cli_model.h: what the model commands (train, evaluate, predict, inspect)
 * share: reading data as a model expects it, run costs, metric printing.
 */
#ifndef LATHE_CLI_MODEL_H
#define LATHE_CLI_MODEL_H

#include <jansson.h>
#include <stdbool.h>

#include "cli/options.h"
#include "lathe/lathe.h"

/*
 * Reads DATA with the user's options, declaring every column the model (or
 * spec) knows with its recorded kind unless the user's --kind says
 * otherwise. `decls` may be NULL. With `optional`, declared columns may be
 * absent (a model's target; missing inputs are then named by the pipeline,
 * all at once). Prints the error and returns false on failure.
 */
bool cli_read_declared(lathe_ctx *ctx, const char *path, const cli_read_args *args,
                       const lathe_column_decl *decls, size_t n_decls, bool optional,
                       lathe_frame **out);

/* Wall-clock seconds since an arbitrary start. */
double cli_seconds(void);
/* CPU seconds used by this process, user plus system. */
double cli_cpu_seconds(void);
/* Peak resident set size of this process in bytes. */
long long cli_peak_rss_bytes(void);

/* Prints a metrics report as an aligned "name value" list, indented. */
void cli_print_metrics(const lathe_metrics_report *report, const char *indent);
/* The report as a JSON object {name: value or null}. */
json_t *cli_metrics_json(const lathe_metrics_report *report);
/* Prints a JSON document to stdout, indented; false if it could not be built. */
bool cli_print_json(json_t *root);
/*
 * The indices of values[0..n) from the largest value down, equal values by
 * index (features by importance); free() it. NULL when out of memory.
 */
size_t *cli_rank_by_value(const double *values, size_t n);

#endif
