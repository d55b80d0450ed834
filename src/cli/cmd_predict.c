/*
 * cmd_predict.c: `lathe predict MODEL DATA`, predictions as CSV or JSON lines.
 *
 * DATA is read with the kinds the model was trained on, so a file whose
 * columns would be inferred differently (a zip code column of digits) is
 * still read as the model expects. Output rows follow input rows; --keep
 * copies columns such as ids next to the predictions.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_model.h"

#define NAME "predict"

typedef struct predict_args {
    const char *paths[2]; /* MODEL, DATA */
    const char *output;
    const char **keep;
    size_t n_keep;
    cli_read_args read;
    bool proba;
    bool json;
} predict_args;

static bool set_output(void *target, const char *value, char *why, size_t size)
{
    (void)why;
    (void)size;
    ((predict_args *)target)->output = value;
    return true;
}

static bool add_keep(void *target, const char *value, char *why, size_t size)
{
    (void)why;
    (void)size;
    predict_args *args = target;
    args->keep[args->n_keep++] = value;
    return true;
}

static bool set_proba(void *target, const char *value, char *why, size_t size)
{
    (void)value;
    (void)why;
    (void)size;
    ((predict_args *)target)->proba = true;
    return true;
}

static bool set_json(void *target, const char *value, char *why, size_t size)
{
    (void)value;
    (void)why;
    (void)size;
    ((predict_args *)target)->json = true;
    return true;
}

static const cli_option predict_options[] = {
    {"-o", "OUT", "write predictions to OUT (default: standard output)", set_output},
    {"--proba", NULL, "add each class's probability (proba_CLASS columns)", set_proba},
    {"--keep", "COL", "copy COL from DATA next to the predictions; repeatable", add_keep},
    {"--json", NULL, "write JSON lines instead of CSV", set_json},
};

static void option_groups(predict_args *args, cli_option_group groups[2])
{
    groups[0] = (cli_option_group){predict_options,
                                   sizeof predict_options / sizeof predict_options[0], args};
    groups[1] = (cli_option_group){cli_read_options, cli_n_read_options, &args->read};
}

static void help(FILE *out)
{
    fputs("usage: lathe predict MODEL DATA [OPTIONS]\n\n"
          "Predicts every row of DATA with a saved model: the class (and with --proba each\n"
          "class's probability) or the value. DATA needs the model's input columns; others are\n"
          "ignored. The target column need not be there.\n\noptions:\n",
          out);
    predict_args unused;
    cli_option_group groups[2];
    option_groups(&unused, groups);
    cli_print_options(out, groups, 2);
    fputs("\nexit status: 0 done, 1 the model or data could not be used, 2 bad usage\n", out);
}

/* ---- writing cells -------------------------------------------------------- */

static void format_number(double value, char *buf, size_t size)
{
    snprintf(buf, size, "%.15g", value);
    if (strtod(buf, NULL) != value)
        snprintf(buf, size, "%.17g", value);
}

/* A CSV field, quoted when it holds a comma, quote, line end or edge spaces. */
static void write_csv_field(FILE *out, const char *text, size_t length)
{
    bool quote = length > 0 && (text[0] == ' ' || text[length - 1] == ' ');
    for (size_t i = 0; i < length && !quote; i++)
        quote = text[i] == ',' || text[i] == '"' || text[i] == '\n' || text[i] == '\r';
    if (!quote) {
        fwrite(text, 1, length, out);
        return;
    }
    fputc('"', out);
    for (size_t i = 0; i < length; i++) {
        if (text[i] == '"')
            fputc('"', out);
        fputc(text[i], out);
    }
    fputc('"', out);
}

/* The text of a kept cell ("" when missing); `buf` holds formatted values. */
static const char *cell_text(const lathe_frame *frame, size_t column, size_t row, char *buf,
                             size_t size, size_t *length)
{
    const char *text = buf;
    buf[0] = '\0';
    if (!lathe_frame_is_missing(frame, column, row)) {
        switch (lathe_frame_column_kind(frame, column)) {
        case LATHE_KIND_NUMERIC:
            format_number(lathe_frame_numeric(frame, column, row), buf, size);
            break;
        case LATHE_KIND_CATEGORICAL:
            text =
                lathe_frame_category_name(frame, column, lathe_frame_category(frame, column, row));
            break;
        case LATHE_KIND_BOOLEAN:
            text = lathe_frame_boolean(frame, column, row) ? "true" : "false";
            break;
        case LATHE_KIND_DATETIME:
            lathe_datetime_format(lathe_frame_datetime(frame, column, row),
                                  lathe_frame_date_only(frame, column), buf, size);
            break;
        case LATHE_KIND_TEXT:
            return lathe_frame_text(frame, column, row, length);
        default:
            break;
        }
    }
    *length = strlen(text);
    return text;
}

typedef struct prediction_table {
    const lathe_model *model;
    const lathe_frame *data;
    const size_t *keep; /* column indexes in data */
    size_t n_keep;
    const double *values;
    const int32_t *labels;
    bool proba;
} prediction_table;

static void write_csv(FILE *out, const prediction_table *t, const predict_args *args)
{
    size_t n_classes = lathe_model_n_classes(t->model);
    for (size_t k = 0; k < t->n_keep; k++) {
        write_csv_field(out, args->keep[k], strlen(args->keep[k]));
        fputc(',', out);
    }
    fputs("prediction", out);
    for (size_t c = 0; t->proba && c < n_classes; c++) {
        char name[300];
        snprintf(name, sizeof name, "proba_%s", lathe_model_class_name(t->model, c));
        fputc(',', out);
        write_csv_field(out, name, strlen(name));
    }
    fputc('\n', out);
    char buf[64];
    for (size_t r = 0; r < lathe_frame_n_rows(t->data); r++) {
        for (size_t k = 0; k < t->n_keep; k++) {
            size_t length;
            const char *text = cell_text(t->data, t->keep[k], r, buf, sizeof buf, &length);
            write_csv_field(out, text, length);
            fputc(',', out);
        }
        if (n_classes) {
            const char *name = lathe_model_class_name(t->model, (size_t)t->labels[r]);
            write_csv_field(out, name, strlen(name));
        } else {
            format_number(t->values[r], buf, sizeof buf);
            fputs(buf, out);
        }
        for (size_t c = 0; t->proba && c < n_classes; c++) {
            format_number(t->values[r * n_classes + c], buf, sizeof buf);
            fprintf(out, ",%s", buf);
        }
        fputc('\n', out);
    }
}

static json_t *json_row(const prediction_table *t, const predict_args *args, size_t r)
{
    size_t n_classes = lathe_model_n_classes(t->model);
    json_t *row = json_object();
    char buf[64];
    for (size_t k = 0; k < t->n_keep; k++) {
        size_t length;
        const char *text = cell_text(t->data, t->keep[k], r, buf, sizeof buf, &length);
        json_object_set_new(row, args->keep[k], json_stringn(text, length));
    }
    if (!n_classes) {
        json_object_set_new(row, "prediction", json_real(t->values[r]));
        return row;
    }
    json_object_set_new(row, "prediction",
                        json_string(lathe_model_class_name(t->model, (size_t)t->labels[r])));
    if (t->proba) {
        json_t *proba = json_object();
        for (size_t c = 0; c < n_classes; c++)
            json_object_set_new(proba, lathe_model_class_name(t->model, c),
                                json_real(t->values[r * n_classes + c]));
        json_object_set_new(row, "proba", proba);
    }
    return row;
}

static void write_json_lines(FILE *out, const prediction_table *t, const predict_args *args)
{
    for (size_t r = 0; r < lathe_frame_n_rows(t->data); r++) {
        json_t *row = json_row(t, args, r);
        json_dumpf(row, out, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
        fputc('\n', out);
        json_decref(row);
    }
}

/* ---- the command ---------------------------------------------------------- */

static int write_predictions(const prediction_table *t, const predict_args *args)
{
    FILE *out = stdout;
    if (args->output && strcmp(args->output, "-") != 0 && !(out = fopen(args->output, "w")))
        return cli_fail("%s: cannot write: %s", args->output, strerror(errno));
    if (args->json)
        write_json_lines(out, t, args);
    else
        write_csv(out, t, args);
    bool failed = ferror(out) != 0;
    if (out != stdout && fclose(out) != 0)
        failed = true;
    return failed ? cli_fail("%s: write failed", args->output ? args->output : "<stdout>") : CLI_OK;
}

static int predict(const predict_args *args)
{
    lathe_ctx *ctx = cli_ctx_new(1, 0, false);
    lathe_model *model = NULL;
    lathe_frame *data = NULL;
    double *values = NULL;
    int32_t *labels = NULL;
    size_t *keep = NULL;
    lathe_error err;
    lathe_error_clear(&err);
    int status = CLI_FAILED;
    size_t n_decls;
    if (lathe_model_load(ctx, args->paths[0], &model, &err) != LATHE_OK) {
        status = cli_fail("%s", err.message);
        goto out;
    }
    const lathe_column_decl *decls = lathe_model_columns(model, &n_decls);
    if (!cli_read_declared(ctx, args->paths[1], &args->read, decls, n_decls, true, &data))
        goto out;
    size_t n_rows = lathe_frame_n_rows(data);
    size_t width = lathe_model_n_classes(model) ? lathe_model_n_classes(model) : 1;
    values = calloc(n_rows ? n_rows * width : 1, sizeof *values);
    labels = calloc(n_rows ? n_rows : 1, sizeof *labels);
    keep = calloc(args->n_keep ? args->n_keep : 1, sizeof *keep);
    if (!values || !labels || !keep) {
        status = cli_fail("out of memory");
        goto out;
    }
    for (size_t k = 0; k < args->n_keep; k++) {
        if (!lathe_frame_find(data, args->keep[k], &keep[k])) {
            status = cli_fail("%s: no column \"%s\" to keep", args->paths[1], args->keep[k]);
            goto out;
        }
    }
    if (lathe_model_predict(model, data, values, labels, &err) != LATHE_OK) {
        status = cli_fail("%s: %s", args->paths[1], err.message);
        goto out;
    }
    prediction_table table = {model, data, keep, args->n_keep, values, labels, args->proba};
    status = write_predictions(&table, args);
out:
    free(values);
    free(labels);
    free(keep);
    lathe_frame_free(data);
    lathe_model_free(model);
    lathe_ctx_free(ctx);
    return status;
}

static int run(int argc, char **argv)
{
    predict_args args = {0};
    cli_read_args_init(&args.read, argc);
    args.keep = calloc((size_t)argc, sizeof *args.keep);
    if (!args.keep)
        return cli_fail("out of memory");
    cli_option_group groups[2];
    option_groups(&args, groups);
    size_t n;
    int status = cli_parse_options(NAME, argc, argv, groups, 2, args.paths, 2, &n);
    if (status == CLI_OK && n < 2)
        status = cli_usage(NAME, "needs MODEL and DATA");
    if (status == CLI_OK) {
        cli_read_args_finish(&args.read);
        status = predict(&args);
    }
    free(args.keep);
    cli_read_args_release(&args.read);
    return status;
}

const cli_command cli_predict_command = {NAME, "predict with a saved model", run, help};
