/*
 * cli_model.c: helpers shared by the model commands (see cli_model.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/cli_model.h"

bool cli_read_declared(lathe_ctx *ctx, const char *path, const cli_read_args *args,
                       const lathe_column_decl *decls, size_t n_decls, bool optional,
                       lathe_frame **out)
{
    lathe_read_options options = args->read;
    lathe_column_decl *merged = calloc(args->n_kinds + n_decls + 1, sizeof *merged);
    if (!merged) {
        cli_fail("out of memory");
        return false;
    }
    size_t n = 0;
    for (size_t i = 0; i < args->n_kinds; i++)
        merged[n++] = args->kinds[i];
    for (size_t i = 0; i < n_decls; i++) {
        bool overridden = false;
        for (size_t k = 0; k < args->n_kinds; k++)
            overridden = overridden || strcmp(args->kinds[k].name, decls[i].name) == 0;
        if (!overridden) {
            merged[n] = decls[i];
            merged[n++].optional = optional;
        }
    }
    options.columns = merged;
    options.n_columns = n;
    lathe_error err;
    lathe_error_clear(&err);
    lathe_status status = lathe_read(ctx, path, &options, out, &err);
    free(merged);
    if (status != LATHE_OK) {
        cli_fail("%s", err.message);
        return false;
    }
    return true;
}

double cli_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double cli_cpu_seconds(void)
{
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return (double)usage.ru_utime.tv_sec + (double)usage.ru_utime.tv_usec / 1e6 +
           (double)usage.ru_stime.tv_sec + (double)usage.ru_stime.tv_usec / 1e6;
}

long long cli_peak_rss_bytes(void)
{
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return (long long)usage.ru_maxrss * 1024; /* Linux reports KiB */
}

void cli_print_metrics(const lathe_metrics_report *report, const char *indent)
{
    for (size_t i = 0; i < report->n_values; i++) {
        const lathe_metric_value *v = &report->values[i];
        if (v->undefined)
            printf("%s%-20s undefined (%s)\n", indent, v->name, v->undefined);
        else
            printf("%s%-20s %.6g\n", indent, v->name, v->value);
    }
}

json_t *cli_metrics_json(const lathe_metrics_report *report)
{
    json_t *out = json_object();
    for (size_t i = 0; i < report->n_values; i++) {
        double value = report->values[i].value;
        json_object_set_new(out, report->values[i].name,
                            isfinite(value) ? json_real(value) : json_null());
    }
    return out;
}

bool cli_print_json(json_t *root)
{
    char *text =
        root ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))
             : NULL;
    json_decref(root);
    if (!text)
        return false;
    puts(text);
    free(text);
    return true;
}

/* qsort has no context argument, so each entry carries its value. */
typedef struct ranked_value {
    double value;
    size_t index;
} ranked_value;

static int largest_first(const void *a, const void *b)
{
    const ranked_value *x = a, *y = b;
    if (x->value != y->value)
        return x->value > y->value ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

size_t *cli_rank_by_value(const double *values, size_t n)
{
    ranked_value *entries = calloc(n ? n : 1, sizeof *entries);
    size_t *order = calloc(n ? n : 1, sizeof *order);
    if (entries && order) {
        for (size_t i = 0; i < n; i++)
            entries[i] = (ranked_value){values[i], i};
        qsort(entries, n, sizeof *entries, largest_first);
        for (size_t i = 0; i < n; i++)
            order[i] = entries[i].index;
    } else {
        free(order);
        order = NULL;
    }
    free(entries);
    return order;
}
