/*
 * cmd_predict.c: `lathe predict MODEL DATA`, predictions as CSV or JSON lines.
 *
 * DATA is read with the kinds the model was trained on, so a file whose
 * columns would be inferred differently (a zip code column of digits) is
 * still read as the model expects. Output rows follow input rows; --keep
 * copies columns such as ids next to the predictions. --explain adds each
 * row's largest per-feature contributions (TreeSHAP) to the score behind
 * its prediction: the predicted class's score when there is one per class.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_model.h"

#define NAME "predict"
#define TOP_DEFAULT 5
#define TOP_MAX 100000

typedef struct predict_args {
    const char *paths[2]; /* MODEL, DATA */
    const char *output;
    const char **keep;
    size_t n_keep;
    cli_read_args read;
    bool proba;
    bool json;
    bool explain;
    size_t top; /* contributions per row with --explain */
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

static bool set_explain(void *target, const char *value, char *why, size_t size)
{
    (void)value;
    (void)why;
    (void)size;
    ((predict_args *)target)->explain = true;
    return true;
}

static bool set_top(void *target, const char *value, char *why, size_t size)
{
    if (!cli_parse_count(value, TOP_MAX, &((predict_args *)target)->top)) {
        snprintf(why, size, "--top takes a whole number from 0 to %d, not '%s'", TOP_MAX, value);
        return false;
    }
    return true;
}

static const cli_option predict_options[] = {
    {"-o", "OUT", "write predictions to OUT (default: standard output)", set_output},
    {"--proba", NULL, "add each class's probability (proba_CLASS columns)", set_proba},
    {"--keep", "COL", "copy COL from DATA next to the predictions; repeatable", add_keep},
    {"--json", NULL, "write JSON lines instead of CSV", set_json},
    {"--explain", NULL,
     "add the features that moved each prediction most (TreeSHAP contributions; tree models)",
     set_explain},
    {"--top", "N", "contributions per row with --explain (default 5, 0: all)", set_top},
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
          "ignored. The target column need not be there.\n\n"
          "With --explain, each row also gets the score its prediction comes from and what\n"
          "it is (\"explained\": the log-odds, margin or probability of the predicted class,\n"
          "binary boosting: of the second class; a regressor's value), the bias (the score\n"
          "expected over the training data) and the --top largest feature contributions\n"
          "(TreeSHAP): the bias plus every feature's contribution is the score.\n\noptions:\n",
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

/* ---- explanations ---------------------------------------------------------- */

/* Per row: the score explained, its bias and its `top` largest contributions. */
typedef struct explanations {
    size_t top;
    size_t *features;      /* n_rows * top */
    double *contributions; /* n_rows * top */
    double *score;
    double *bias;
    size_t *explained; /* the index of the score explained */
} explanations;

static void explanations_free(explanations *e)
{
    free(e->features);
    free(e->contributions);
    free(e->score);
    free(e->bias);
    free(e->explained);
}

typedef struct ranked {
    double magnitude;
    size_t feature;
} ranked;

static int by_magnitude(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->magnitude != y->magnitude)
        return x->magnitude > y->magnitude ? -1 : 1;
    return x->feature < y->feature ? -1 : x->feature > y->feature;
}

/* Row r's explained score, bias and largest contributions from its phi. */
static void keep_largest(explanations *e, size_t r, const double *phi, size_t n_features,
                         ranked *order)
{
    const double *scores = phi + e->explained[r] * (n_features + 1);
    double sum = scores[n_features];
    for (size_t f = 0; f < n_features; f++) {
        order[f] = (ranked){fabs(scores[f]), f};
        sum += scores[f];
    }
    qsort(order, n_features, sizeof *order, by_magnitude);
    for (size_t k = 0; k < e->top; k++) {
        e->features[r * e->top + k] = order[k].feature;
        e->contributions[r * e->top + k] = scores[order[k].feature];
    }
    e->bias[r] = scores[n_features];
    e->score[r] = sum;
}

static int explain_rows(const lathe_model *model, const lathe_frame *data, const int32_t *labels,
                        const predict_args *args, explanations *e)
{
    size_t n_scores = lathe_model_n_scores(model), n_features = lathe_model_n_features(model);
    if (n_scores == 0)
        return cli_fail("%s: model %s has no per-feature contributions (only tree models have)",
                        args->paths[0], lathe_model_family(model));
    size_t n_rows = lathe_frame_n_rows(data), rows = n_rows ? n_rows : 1;
    size_t n_phi = n_scores * (n_features + 1);
    e->top = args->top == 0 || args->top > n_features ? n_features : args->top;
    e->features = calloc(rows * (e->top ? e->top : 1), sizeof *e->features);
    e->contributions = calloc(rows * (e->top ? e->top : 1), sizeof *e->contributions);
    e->score = calloc(rows, sizeof *e->score);
    e->bias = calloc(rows, sizeof *e->bias);
    e->explained = calloc(rows, sizeof *e->explained);
    double *phi = calloc(n_phi, sizeof *phi);
    ranked *order = calloc(n_features ? n_features : 1, sizeof *order);
    int status = CLI_OK;
    if (!e->features || !e->contributions || !e->score || !e->bias || !e->explained || !phi ||
        !order)
        status = cli_fail("out of memory");
    for (size_t r = 0; status == CLI_OK && r < n_rows; r++) {
        lathe_error err;
        size_t n = n_phi;
        if (lathe_model_explain(model, data, r, phi, &n, &err) != LATHE_OK) {
            status = cli_fail("%s: row %zu: %s", args->paths[1], r + 1, err.message);
            break;
        }
        e->explained[r] = n_scores > 1 && labels[r] >= 0 ? (size_t)labels[r] : 0;
        keep_largest(e, r, phi, n_features, order);
    }
    free(phi);
    free(order);
    return status;
}

typedef struct prediction_table {
    const lathe_model *model;
    const lathe_frame *data;
    const size_t *keep; /* column indexes in data */
    size_t n_keep;
    const double *values;
    const int32_t *labels;
    bool proba;
    const explanations *explanations; /* NULL without --explain */
} prediction_table;

static void write_csv_explanation_header(FILE *out, const explanations *e)
{
    fputs(",explained,score,bias", out);
    for (size_t k = 0; k < e->top; k++)
        fprintf(out, ",feature_%zu,contribution_%zu", k + 1, k + 1);
}

static void write_csv_explanation(FILE *out, const prediction_table *t, size_t r)
{
    const explanations *e = t->explanations;
    char buf[300];
    size_t length = lathe_model_score_name(t->model, e->explained[r], buf, sizeof buf);
    fputc(',', out);
    write_csv_field(out, buf, length < sizeof buf ? length : sizeof buf - 1);
    format_number(e->score[r], buf, sizeof buf);
    fprintf(out, ",%s", buf);
    format_number(e->bias[r], buf, sizeof buf);
    fprintf(out, ",%s", buf);
    for (size_t k = 0; k < e->top; k++) {
        const char *name = lathe_model_feature_name(t->model, e->features[r * e->top + k]);
        fputc(',', out);
        write_csv_field(out, name, strlen(name));
        format_number(e->contributions[r * e->top + k], buf, sizeof buf);
        fprintf(out, ",%s", buf);
    }
}

static json_t *json_explanation(const prediction_table *t, size_t r)
{
    const explanations *e = t->explanations;
    json_t *explanation = json_object();
    char name[300];
    lathe_model_score_name(t->model, e->explained[r], name, sizeof name);
    json_object_set_new(explanation, "explained", json_string(name));
    json_object_set_new(explanation, "score", json_real(e->score[r]));
    json_object_set_new(explanation, "bias", json_real(e->bias[r]));
    json_t *contributions = json_array();
    for (size_t k = 0; k < e->top; k++) {
        json_t *item = json_object();
        json_object_set_new(
            item, "feature",
            json_string(lathe_model_feature_name(t->model, e->features[r * e->top + k])));
        json_object_set_new(item, "contribution", json_real(e->contributions[r * e->top + k]));
        json_array_append_new(contributions, item);
    }
    json_object_set_new(explanation, "contributions", contributions);
    return explanation;
}

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
    if (t->explanations)
        write_csv_explanation_header(out, t->explanations);
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
        if (t->explanations)
            write_csv_explanation(out, t, r);
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
        if (t->explanations)
            json_object_set_new(row, "explanation", json_explanation(t, r));
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
    if (t->explanations)
        json_object_set_new(row, "explanation", json_explanation(t, r));
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
    explanations explained = {0};
    if (args->explain && (status = explain_rows(model, data, labels, args, &explained)) != CLI_OK)
        goto out;
    prediction_table table = {model,  data,   keep,        args->n_keep,
                              values, labels, args->proba, args->explain ? &explained : NULL};
    status = write_predictions(&table, args);
    explanations_free(&explained);
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
    predict_args args = {.top = TOP_DEFAULT};
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
