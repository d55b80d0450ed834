/*
 * target.c: the column a model predicts: which task it implies, its classes,
 * and each row's class index or value.
 *
 * Classes are identified by name (category names, "true"/"false", or a
 * number's shortest exact text), never by a frame's category codes, so a new
 * file with another dictionary maps to the same classes. They are ordered
 * as scikit-learn orders them: numbers by value, names by code point.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/intern.h"
#include "core/internal.h"
#include "core/number.h"
#include "train/model_internal.h"
#include "train/train_internal.h"

#include "core/banned.h"

/* A numeric target with at most this many distinct whole values is a class label. */
#define MAX_NUMERIC_CLASSES 20

/* The class name of a present target cell; `buf` holds formatted numbers. */
static const char *class_name_of(const lathe_frame *frame, size_t column, size_t row, char *buf,
                                 size_t size, size_t *length)
{
    switch (lathe_frame_column_kind(frame, column)) {
    case LATHE_KIND_CATEGORICAL: {
        const char *name =
            lathe_frame_category_name(frame, column, lathe_frame_category(frame, column, row));
        *length = strlen(name);
        return name;
    }
    case LATHE_KIND_BOOLEAN:
        *length = lathe_frame_boolean(frame, column, row) ? 4 : 5;
        return lathe_frame_boolean(frame, column, row) ? "true" : "false";
    case LATHE_KIND_TEXT:
        return lathe_frame_text(frame, column, row, length);
    default:
        lathe__format_class_number(lathe_frame_numeric(frame, column, row), buf, size);
        *length = strlen(buf);
        return buf;
    }
}

void lathe__format_class_number(double value, char *buf, size_t size)
{
    snprintf(buf, size, "%.15g", value);
    double back;
    if (lathe__parse_double(buf, strlen(buf), &back) != LATHE__NUMBER_OK || back != value)
        snprintf(buf, size, "%.17g", value);
}

/*
 * The ids of numeric target cells met so far, by the value's bits: a
 * number's class name is its shortest exact text (snprintf and a parse
 * back), which for every row of a million took longer than fitting a
 * logistic regression to them. Classes are few, so a short list will do.
 */
#define ID_MEMO_SIZE 32

typedef struct id_memo {
    uint64_t bits[ID_MEMO_SIZE];
    int32_t ids[ID_MEMO_SIZE];
    size_t n;
} id_memo;

static bool memo_find(const id_memo *memo, double value, int32_t *id)
{
    uint64_t bits;
    memcpy(&bits, &value, sizeof bits);
    for (size_t i = 0; i < memo->n; i++) {
        if (memo->bits[i] == bits) {
            *id = memo->ids[i];
            return true;
        }
    }
    return false;
}

static void memo_add(id_memo *memo, double value, int32_t id)
{
    if (memo->n == ID_MEMO_SIZE)
        return;
    memcpy(&memo->bits[memo->n], &value, sizeof value);
    memo->ids[memo->n++] = id;
}

static bool numeric_target_is_classes(const lathe_frame *frame, size_t column)
{
    double seen[MAX_NUMERIC_CLASSES];
    size_t n_seen = 0;
    for (size_t r = 0; r < lathe_frame_n_rows(frame); r++) {
        if (lathe_frame_is_missing(frame, column, r))
            continue;
        double value = lathe_frame_numeric(frame, column, r);
        if (value != floor(value) || !isfinite(value))
            return false;
        size_t i = 0;
        while (i < n_seen && seen[i] != value)
            i++;
        if (i == n_seen) {
            if (n_seen == MAX_NUMERIC_CLASSES)
                return false;
            seen[n_seen++] = value;
        }
    }
    return n_seen >= 2;
}

lathe_status lathe__decide_task(const char *requested, const lathe__model_ops *ops,
                                const lathe_frame *frame, size_t target, lathe__task *task,
                                lathe_error *err)
{
    lathe_kind kind = lathe_frame_column_kind(frame, target);
    const char *name = lathe_frame_column_name(frame, target);
    if (kind == LATHE_KIND_DATETIME)
        return lathe__error(err, LATHE_INVALID,
                            "target \"%s\" holds datetimes; predict a number or a class", name);
    if (requested) {
        if (strcmp(requested, "classification") == 0)
            *task = LATHE__TASK_CLASSIFICATION;
        else if (strcmp(requested, "regression") == 0)
            *task = LATHE__TASK_REGRESSION;
        else
            return lathe__error(err, LATHE_INVALID,
                                "unknown task \"%s\" (expected classification or regression)",
                                requested);
    } else if (ops && ops->tasks != (LATHE__TASK_CLASSIFICATION | LATHE__TASK_REGRESSION)) {
        *task = (lathe__task)ops->tasks;
    } else if (kind != LATHE_KIND_NUMERIC || numeric_target_is_classes(frame, target)) {
        *task = LATHE__TASK_CLASSIFICATION;
    } else {
        *task = LATHE__TASK_REGRESSION;
    }
    if (*task == LATHE__TASK_REGRESSION && kind != LATHE_KIND_NUMERIC)
        return lathe__error(err, LATHE_INVALID,
                            "%s predicts numbers, but target \"%s\" is %s; choose a classifier "
                            "such as logistic",
                            ops ? ops->name : "regression", name, lathe_kind_name(kind));
    if (ops && !(ops->tasks & *task))
        return lathe__error(err, LATHE_INVALID, "model %s does not do %s", ops->name,
                            *task == LATHE__TASK_REGRESSION ? "regression" : "classification");
    return LATHE_OK;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int compare_numbers(const void *a, const void *b)
{
    double x = strtod(*(char *const *)a, NULL), y = strtod(*(char *const *)b, NULL);
    return (x > y) - (x < y);
}

lathe_status lathe__collect_classes(lathe_model *model, const lathe_frame *frame, size_t target,
                                    lathe_error *err)
{
    lathe__interner names;
    lathe__interner_init(&names, model->ctx);
    char buf[40];
    id_memo memo = {.n = 0};
    bool numeric = lathe_frame_column_kind(frame, target) == LATHE_KIND_NUMERIC;
    for (size_t r = 0; r < lathe_frame_n_rows(frame); r++) {
        if (lathe_frame_is_missing(frame, target, r))
            continue;
        int32_t id;
        double value = numeric ? lathe_frame_numeric(frame, target, r) : 0.0;
        if (numeric && memo_find(&memo, value, &id))
            continue;
        size_t length;
        const char *name = class_name_of(frame, target, r, buf, sizeof buf, &length);
        if (lathe__interner_put(&names, name, length, &id, NULL) != LATHE_OK) {
            lathe__interner_release(&names);
            return lathe__error_nomem(err);
        }
        if (numeric)
            memo_add(&memo, value, id);
    }
    size_t n = names.n_keys;
    if (n < 2) {
        lathe__interner_release(&names);
        return lathe__error(err, LATHE_INVALID,
                            "target \"%s\" has %zu class%s in the training rows; a classifier "
                            "needs at least 2",
                            model->target, n, n == 1 ? "" : "es");
    }
    model->class_names = lathe__interner_steal_keys(&names);
    model->n_classes = n;
    qsort(model->class_names, n, sizeof *model->class_names,
          model->target_kind == LATHE_KIND_NUMERIC ? compare_numbers : compare_names);
    return LATHE_OK;
}

lathe_status lathe__model_targets(const lathe_model *model, const lathe_frame *frame, size_t target,
                                  double *y, int32_t *classes, lathe_error *err)
{
    size_t n_rows = lathe_frame_n_rows(frame);
    if (model->task == LATHE__TASK_REGRESSION) {
        if (lathe_frame_column_kind(frame, target) != LATHE_KIND_NUMERIC)
            return lathe__error(err, LATHE_INVALID, "target \"%s\" must be numeric", model->target);
        for (size_t r = 0; r < n_rows; r++)
            y[r] = lathe_frame_is_missing(frame, target, r) ? NAN
                                                            : lathe_frame_numeric(frame, target, r);
        return LATHE_OK;
    }
    lathe__interner index;
    lathe__interner_init(&index, model->ctx);
    for (size_t c = 0; c < model->n_classes; c++) {
        int32_t id;
        const char *name = model->class_names[c];
        if (lathe__interner_put(&index, name, strlen(name), &id, NULL) != LATHE_OK) {
            lathe__interner_release(&index);
            return lathe__error_nomem(err);
        }
    }
    char buf[40];
    id_memo memo = {.n = 0};
    bool numeric = lathe_frame_column_kind(frame, target) == LATHE_KIND_NUMERIC;
    for (size_t r = 0; r < n_rows; r++) {
        int32_t found = -1;
        double value = numeric ? lathe_frame_numeric(frame, target, r) : 0.0;
        if (lathe_frame_is_missing(frame, target, r)) {
            found = -1;
        } else if (!numeric || !memo_find(&memo, value, &found)) {
            size_t length;
            const char *name = class_name_of(frame, target, r, buf, sizeof buf, &length);
            found = lathe__interner_find(&index, name, length);
            if (numeric)
                memo_add(&memo, value, found);
        }
        if (y)
            y[r] = found;
        if (classes)
            classes[r] = found;
    }
    lathe__interner_release(&index);
    return LATHE_OK;
}
