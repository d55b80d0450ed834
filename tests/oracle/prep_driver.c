/*
 * prep_driver.c: fits the preprocessing pipeline on a CSV file and prints
 * the transform of every row, for test_prep_sklearn.py to compare with
 * scikit-learn.
 *
 *   prep_driver FILE [KEY=VALUE...]
 *
 *   target=COLUMN      the target (role target; rows missing it are skipped);
 *                      a categorical target is a class index in sorted order
 *   columns=A,B,...    the feature columns (default: every other column)
 *   rows=N             only the first N rows of the file are used (default: all)
 *   holdout=K          rows r % K == 0 are left out of fitting (default 0: none)
 *   exclude=COL:VALUE  rows whose COL is VALUE are left out of fitting too
 *   numeric.impute= numeric.scale= numeric.power= numeric.fill= numeric.indicator=
 *   categorical.impute= categorical.encode= categorical.min_frequency=
 *   categorical.fill=  select= select_k= select_threshold= select_c= select_alpha= pca=
 *
 *   describe=1         also print the pipeline's notes to standard error
 *   save=PATH          also write the saved pipeline there (fuzz corpus seeds)
 *
 * Output, tab-separated: the feature names, then one line per row of the
 * file (%.17g), transformed by the fitted pipeline.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lathe/lathe.h"
#include "model/matrix.h"
#include "prep/prep.h"

#define MAX_COLUMNS 256

typedef struct driver {
    const char *path;
    const char *target;
    char *columns;
    size_t holdout;
    size_t rows;
    bool describe;
    const char *save;
    const char *exclude_column;
    const char *exclude_value;
    lathe__prep_spec spec;
} driver;

static int fail(const char *what, const char *detail)
{
    fprintf(stderr, "prep_driver: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    return 2;
}

static bool parse_choice(lathe__prep_choice list, const char *value, int *out)
{
    if (lathe__prep_choice_parse(list, value, out))
        return true;
    fprintf(stderr, "prep_driver: unknown choice %s\n", value);
    return false;
}

/* Options for one kind: "impute", "scale", ... after "numeric." or "categorical.". */
static bool set_kind_option(lathe__prep_options *o, const char *key, const char *value)
{
    int choice;
    if (strcmp(key, "impute") == 0 && parse_choice(LATHE__CHOICE_IMPUTE, value, &choice))
        o->impute = (lathe__impute)choice;
    else if (strcmp(key, "scale") == 0 && parse_choice(LATHE__CHOICE_SCALE, value, &choice))
        o->scale = (lathe__scale)choice;
    else if (strcmp(key, "power") == 0 && parse_choice(LATHE__CHOICE_POWER, value, &choice))
        o->power = (lathe__power)choice;
    else if (strcmp(key, "encode") == 0 && parse_choice(LATHE__CHOICE_ENCODE, value, &choice))
        o->encode = (lathe__encode)choice;
    else if (strcmp(key, "min_frequency") == 0)
        o->min_frequency = strtod(value, NULL);
    else if (strcmp(key, "indicator") == 0)
        o->missing_indicator = strcmp(value, "1") == 0;
    else if (strcmp(key, "fill") == 0) {
        o->fill_number = strtod(value, NULL);
        o->fill_category = value;
    } else
        return false;
    return true;
}

static bool set_option(driver *d, char *assignment)
{
    char *value = strchr(assignment, '=');
    if (!value)
        return false;
    *value++ = '\0';
    int choice;
    if (strncmp(assignment, "numeric.", 8) == 0)
        return set_kind_option(&d->spec.by_kind[LATHE_KIND_NUMERIC], assignment + 8, value);
    if (strncmp(assignment, "categorical.", 12) == 0)
        return set_kind_option(&d->spec.by_kind[LATHE_KIND_CATEGORICAL], assignment + 12, value);
    if (strcmp(assignment, "target") == 0)
        d->target = value;
    else if (strcmp(assignment, "columns") == 0)
        d->columns = value;
    else if (strcmp(assignment, "holdout") == 0)
        d->holdout = strtoul(value, NULL, 10);
    else if (strcmp(assignment, "save") == 0)
        d->save = value;
    else if (strcmp(assignment, "describe") == 0)
        d->describe = strcmp(value, "1") == 0;
    else if (strcmp(assignment, "rows") == 0)
        d->rows = strtoul(value, NULL, 10);
    else if (strcmp(assignment, "exclude") == 0 && strchr(value, ':')) {
        d->exclude_column = value;
        d->exclude_value = strchr(value, ':') + 1;
        *strchr(value, ':') = '\0';
    } else if (strcmp(assignment, "select") == 0 &&
               parse_choice(LATHE__CHOICE_SELECT, value, &choice))
        d->spec.select = (lathe__select)choice;
    else if (strcmp(assignment, "select_k") == 0)
        d->spec.select_k = strtoul(value, NULL, 10);
    else if (strcmp(assignment, "select_threshold") == 0)
        d->spec.select_threshold = strtod(value, NULL);
    else if (strcmp(assignment, "select_c") == 0)
        d->spec.select_c = strtod(value, NULL);
    else if (strcmp(assignment, "select_alpha") == 0)
        d->spec.select_alpha = strtod(value, NULL);
    else if (strcmp(assignment, "pca") == 0)
        d->spec.pca_components = strtod(value, NULL);
    else
        return false;
    return true;
}

/* Roles: the target column "target", listed columns (or all others) "feature", the rest "ignore".
 */
static void set_roles(const driver *d, lathe_frame *frame)
{
    for (size_t c = 0; c < lathe_frame_n_columns(frame); c++) {
        const char *name = lathe_frame_column_name(frame, c);
        bool listed = !d->columns;
        if (d->columns) {
            size_t length = strlen(name);
            for (const char *at = d->columns; at && *at;
                 at = strchr(at, ',') ? strchr(at, ',') + 1 : NULL) {
                if (strncmp(at, name, length) == 0 && (at[length] == ',' || at[length] == '\0'))
                    listed = true;
            }
        }
        lathe_role role = listed ? LATHE_ROLE_FEATURE : LATHE_ROLE_IGNORE;
        if (d->target && strcmp(name, d->target) == 0)
            role = LATHE_ROLE_TARGET;
        lathe_frame_set_role(frame, c, role);
    }
}

/* The target of a row: a numeric value, or a category's rank among the sorted names. */
static double target_of(const lathe_frame *frame, size_t column, size_t row)
{
    if (lathe_frame_column_kind(frame, column) == LATHE_KIND_NUMERIC)
        return lathe_frame_numeric(frame, column, row);
    int32_t code = lathe_frame_category(frame, column, row);
    const char *name = lathe_frame_category_name(frame, column, code);
    double rank = 0;
    for (size_t k = 0; k < lathe_frame_n_categories(frame, column); k++)
        rank += strcmp(lathe_frame_category_name(frame, column, (int32_t)k), name) < 0;
    return rank;
}

static bool excluded(const driver *d, const lathe_frame *frame, size_t row)
{
    size_t column;
    if (d->holdout && row % d->holdout == 0)
        return true;
    if (!d->exclude_column || !lathe_frame_find(frame, d->exclude_column, &column) ||
        lathe_frame_is_missing(frame, column, row))
        return false;
    int32_t code = lathe_frame_category(frame, column, row);
    return strcmp(lathe_frame_category_name(frame, column, code), d->exclude_value) == 0;
}

static void print_matrix(const lathe__prep *prep, const lathe__matrix *x, size_t n_rows)
{
    for (size_t i = 0; i < lathe__prep_n_features(prep); i++)
        printf("%s%s", i ? "\t" : "", lathe__prep_feature_name(prep, i));
    printf("\n");
    for (size_t r = 0; r < n_rows; r++) {
        for (size_t c = 0; c < x->n_cols; c++)
            printf("%s%.17g", c ? "\t" : "", x->dense[r * x->n_cols + c]);
        printf("\n");
    }
}

/* The file, or with rows=N only its header and first N lines (no quoted newlines in tests/data). */
static lathe_status read_head(lathe_ctx *ctx, const driver *d, lathe_frame **frame,
                              lathe_error *err)
{
    if (!d->rows)
        return lathe_read(ctx, d->path, NULL, frame, err);
    FILE *file = fopen(d->path, "rb");
    if (!file)
        return lathe_read(ctx, d->path, NULL, frame, err);
    size_t capacity = 1 << 20, length = 0, lines = 0;
    char *text = malloc(capacity);
    int c;
    while (text && lines <= d->rows && (c = fgetc(file)) != EOF) {
        if (length == capacity) {
            char *grown = realloc(text, capacity *= 2);
            if (!grown)
                break;
            text = grown;
        }
        text[length++] = (char)c;
        lines += c == '\n';
    }
    fclose(file);
    lathe_status status = lathe_read_buffer(ctx, text, length, d->path, NULL, frame, err);
    free(text);
    return status;
}

static void save(const lathe__prep *prep, lathe_ctx *ctx, const char *path)
{
    lathe__wbuf buf;
    lathe__wbuf_init(&buf, ctx);
    lathe__prep_save(prep, &buf);
    FILE *file = fopen(path, "wb");
    if (!file || fwrite(buf.data, 1, buf.length, file) != buf.length)
        fprintf(stderr, "prep_driver: cannot write %s\n", path);
    if (file)
        fclose(file);
    lathe__wbuf_release(&buf);
}

static int run(driver *d, lathe_ctx *ctx)
{
    lathe_error err;
    lathe_frame *frame = NULL, *train = NULL;
    if (read_head(ctx, d, &frame, &err) != LATHE_OK)
        return fail("reading", err.message);
    set_roles(d, frame);
    size_t n_rows = lathe_frame_n_rows(frame), n_train = 0, target_column = 0;
    bool has_target = d->target && lathe_frame_find(frame, d->target, &target_column);
    size_t *rows = calloc(n_rows + 1, sizeof *rows);
    double *y = calloc(n_rows + 1, sizeof *y);
    double n_classes = 0;
    for (size_t r = 0; r < n_rows; r++) {
        if (excluded(d, frame, r) ||
            (has_target && lathe_frame_is_missing(frame, target_column, r)))
            continue;
        y[n_train] = has_target ? target_of(frame, target_column, r) : 0;
        if (y[n_train] + 1 > n_classes)
            n_classes = y[n_train] + 1;
        rows[n_train++] = r;
    }
    bool classes =
        has_target && lathe_frame_column_kind(frame, target_column) != LATHE_KIND_NUMERIC;
    lathe__prep *prep = NULL;
    lathe__matrix x = {0};
    int status = 0;
    if (lathe_frame_take(frame, rows, n_train, &train, &err) != LATHE_OK ||
        lathe__prep_fit(ctx, train, has_target ? y : NULL,
                        classes ? LATHE__TASK_CLASSIFICATION : LATHE__TASK_REGRESSION,
                        classes ? (size_t)n_classes : 0, &d->spec, &prep, NULL, &err) != LATHE_OK ||
        lathe__prep_transform(prep, frame, &x, &err) != LATHE_OK)
        status = fail("fitting", err.message);
    else if (lathe__matrix_is_sparse(&x))
        status = fail("expected a dense matrix", NULL);
    else
        print_matrix(prep, &x, n_rows);
    if (prep && d->save)
        save(prep, ctx, d->save);
    if (prep && d->describe) {
        char notes[1 << 14];
        lathe__prep_describe(prep, notes, sizeof notes);
        fputs(notes, stderr);
    }
    lathe__matrix_release(ctx, &x);
    lathe__prep_free(prep);
    lathe_frame_free(train);
    lathe_frame_free(frame);
    free(rows);
    free(y);
    return status;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return fail("usage: prep_driver FILE [KEY=VALUE...]", NULL);
    driver d = {0};
    d.path = argv[1];
    lathe__prep_spec_default(&d.spec, false);
    d.spec.layout = LATHE__LAYOUT_DENSE;
    for (int i = 2; i < argc; i++) {
        if (!set_option(&d, argv[i]))
            return fail("bad option", argv[i]);
    }
    lathe_ctx *ctx = lathe_ctx_new();
    int status = run(&d, ctx);
    lathe_ctx_free(ctx);
    return status;
}
