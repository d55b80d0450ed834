/*
 * target_encode.c: target encoding, as scikit-learn 1.3+'s TargetEncoder.
 *
 * A category becomes the mean target of its training rows, shrunk toward
 * the overall mean by how much evidence it has:
 *   smoothing "auto" (< 0):  lambda = var(y) * n_c / (var(y) * n_c + var_c),
 *                            encoding = lambda * mean_c + (1 - lambda) * mean
 *                            (var_c is the category's own target variance)
 *   smoothing m (>= 0):      encoding = (sum_c + m * mean) / (n_c + m)
 * A category seen in no row (or an unknown one) gets the overall mean.
 *
 * Targets: a regression target as it is; a binary class as 0/1 (one
 * column); with more classes, one column per class of "y == k"
 * (one-vs-rest, as sklearn 1.4 does).
 *
 * Training rows are encoded out of fold: rows are dealt into the pipeline's
 * folds, and a row is encoded by statistics of the other folds only (their
 * own mean and variance too, as sklearn's fit_transform does), so no
 * training row ever sees its own target. New rows use statistics of all
 * training rows.
 */
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "prep/step.h"

#include "core/banned.h"

#define MAX_TARGETS (1u << 20)

typedef struct target_encoder {
    size_t n_categories;
    size_t n_targets;
    double smoothing;  /* < 0: auto */
    size_t n_folds;    /* for describe */
    double *encodings; /* n_categories * n_targets */
    double *means;     /* n_targets: for unknown categories */
} target_encoder;

static void target_free(lathe_ctx *ctx, void *state)
{
    target_encoder *encoder = state;
    if (!encoder)
        return;
    lathe__free(ctx, encoder->encodings);
    lathe__free(ctx, encoder->means);
    lathe__free(ctx, encoder);
}

static target_encoder *target_new(lathe_ctx *ctx, size_t n_categories, size_t n_targets)
{
    target_encoder *encoder = lathe__calloc(ctx, 1, sizeof *encoder);
    if (!encoder)
        return NULL;
    encoder->n_categories = n_categories;
    encoder->n_targets = n_targets;
    size_t cells;
    if (!lathe__mul_overflows(n_categories, n_targets, &cells))
        encoder->encodings = lathe__calloc(ctx, cells + 1, sizeof *encoder->encodings);
    encoder->means = lathe__calloc(ctx, n_targets, sizeof *encoder->means);
    if (!encoder->encodings || !encoder->means) {
        target_free(ctx, encoder);
        return NULL;
    }
    return encoder;
}

static size_t n_targets_for(lathe__task task, size_t n_classes)
{
    return task == LATHE__TASK_CLASSIFICATION && n_classes > 2 ? n_classes : 1;
}

/* Target k of a row: the value, or 1/0 for "is class k" (k = 1 for binary). */
static double target_value(const lathe__encode_input *in, size_t row, size_t k)
{
    if (in->task != LATHE__TASK_CLASSIFICATION)
        return in->y[row];
    size_t wanted = in->n_classes > 2 ? k : 1;
    return in->y[row] == (double)wanted ? 1.0 : 0.0;
}

/* Per-category sums for one fit: scratch reused across folds and targets. */
typedef struct category_sums {
    double *sums;
    double *squares; /* sum of squared deviations from the category's mean */
    size_t *counts;
} category_sums;

/* Whether a row takes part in a fit that leaves out fold `skip` (UINT32_MAX: none). */
static bool in_fit(const lathe__encode_input *in, size_t row, uint32_t skip)
{
    return skip == UINT32_MAX || in->folds[row] != skip;
}

/* Overall mean and variance of target k over the fit's rows. */
static void overall(const lathe__encode_input *in, size_t k, uint32_t skip, double *mean,
                    double *variance)
{
    double sum = 0, squares = 0;
    size_t n = 0;
    for (size_t r = 0; r < in->n_rows; r++) {
        if (in_fit(in, r, skip)) {
            sum += target_value(in, r, k);
            n++;
        }
    }
    *mean = n ? sum / (double)n : 0;
    for (size_t r = 0; r < in->n_rows; r++) {
        if (in_fit(in, r, skip)) {
            double d = target_value(in, r, k) - *mean;
            squares += d * d;
        }
    }
    *variance = n ? squares / (double)n : 0;
}

static void gather_sums(const lathe__encode_input *in, size_t k, uint32_t skip,
                        category_sums *scratch)
{
    size_t n_categories = lathe__dictionary_size(in->dict);
    memset(scratch->sums, 0, n_categories * sizeof *scratch->sums);
    memset(scratch->squares, 0, n_categories * sizeof *scratch->squares);
    memset(scratch->counts, 0, n_categories * sizeof *scratch->counts);
    for (size_t r = 0; r < in->n_rows; r++) {
        int32_t code = in->codes[r];
        if (code >= 0 && in_fit(in, r, skip)) {
            scratch->sums[code] += target_value(in, r, k);
            scratch->counts[code]++;
        }
    }
    for (size_t r = 0; r < in->n_rows; r++) {
        int32_t code = in->codes[r];
        if (code >= 0 && in_fit(in, r, skip)) {
            double d = target_value(in, r, k) - scratch->sums[code] / (double)scratch->counts[code];
            scratch->squares[code] += d * d;
        }
    }
}

/* Encodings of every category for target k, fitted on rows outside fold `skip`. */
static double fit_target(const lathe__encode_input *in, size_t k, uint32_t skip, double smoothing,
                         category_sums *scratch, double *encodings, size_t stride)
{
    double mean, variance;
    overall(in, k, skip, &mean, &variance);
    gather_sums(in, k, skip, scratch);
    for (size_t code = 0; code < lathe__dictionary_size(in->dict); code++) {
        double n = (double)scratch->counts[code], encoding = mean;
        if (scratch->counts[code] > 0 && smoothing < 0) {
            double lambda = variance * n / (variance * n + scratch->squares[code] / n);
            if (!isnan(lambda))
                encoding = lambda * (scratch->sums[code] / n) + (1 - lambda) * mean;
        } else if (scratch->counts[code] > 0) {
            encoding = (scratch->sums[code] + smoothing * mean) / (n + smoothing);
        }
        encodings[code * stride + k] = encoding;
    }
    return mean;
}

/* Training rows of fold f, encoded by the statistics of the other folds. */
static void encode_fold(const lathe__encode_input *in, uint32_t fold, double smoothing,
                        category_sums *scratch, double *fold_encodings, double *training,
                        size_t n_targets)
{
    for (size_t k = 0; k < n_targets; k++) {
        double mean = fit_target(in, k, fold, smoothing, scratch, fold_encodings, n_targets);
        for (size_t r = 0; r < in->n_rows; r++) {
            if (in->folds[r] != fold)
                continue;
            int32_t code = in->codes[r];
            training[r * n_targets + k] = code >= 0 ? fold_encodings[code * n_targets + k] : mean;
        }
    }
}

static lathe_status fit_all(lathe_ctx *ctx, const lathe__encode_input *in, target_encoder *encoder,
                            double *training, lathe_error *err)
{
    size_t n_categories = encoder->n_categories, n_targets = encoder->n_targets;
    category_sums scratch = {
        lathe__calloc(ctx, n_categories + 1, sizeof(double)),
        lathe__calloc(ctx, n_categories + 1, sizeof(double)),
        lathe__calloc(ctx, n_categories + 1, sizeof(size_t)),
    };
    double *fold_encodings = lathe__calloc(ctx, n_categories * n_targets + 1, sizeof(double));
    lathe_status status = LATHE_OK;
    if (!scratch.sums || !scratch.squares || !scratch.counts || !fold_encodings) {
        status = lathe__error_nomem(err);
        goto out;
    }
    for (size_t k = 0; k < n_targets; k++)
        encoder->means[k] = fit_target(in, k, UINT32_MAX, encoder->smoothing, &scratch,
                                       encoder->encodings, n_targets);
    for (uint32_t fold = 0; fold < in->n_folds; fold++)
        encode_fold(in, fold, encoder->smoothing, &scratch, fold_encodings, training, n_targets);
out:
    lathe__free(ctx, scratch.sums);
    lathe__free(ctx, scratch.squares);
    lathe__free(ctx, scratch.counts);
    lathe__free(ctx, fold_encodings);
    return status;
}

static lathe_status target_fit(lathe_ctx *ctx, const lathe__encode_input *in, void **state,
                               double **training, lathe_error *err)
{
    size_t n_targets = n_targets_for(in->task, in->n_classes), cells;
    if (n_targets > MAX_TARGETS || lathe__mul_overflows(in->n_rows, n_targets, &cells))
        return lathe__error(err, LATHE_LIMIT, "target encoding of %zu classes is too wide",
                            n_targets);
    target_encoder *encoder = target_new(ctx, lathe__dictionary_size(in->dict), n_targets);
    double *rows = lathe__calloc(ctx, cells + 1, sizeof *rows);
    if (!encoder || !rows) {
        target_free(ctx, encoder);
        lathe__free(ctx, rows);
        return lathe__error_nomem(err);
    }
    encoder->smoothing = in->options->target_smoothing;
    encoder->n_folds = in->n_folds;
    lathe_status status = fit_all(ctx, in, encoder, rows, err);
    if (status != LATHE_OK) {
        target_free(ctx, encoder);
        lathe__free(ctx, rows);
        return status;
    }
    *state = encoder;
    *training = rows;
    return LATHE_OK;
}

static size_t target_n_outputs(const void *state)
{
    return ((const target_encoder *)state)->n_targets;
}

static void target_output_name(const void *state, const lathe__dictionary *dict, size_t output,
                               char *buf, size_t size)
{
    (void)dict;
    if (((const target_encoder *)state)->n_targets == 1)
        lathe__format(buf, size, ".target");
    else
        lathe__format(buf, size, ".target_%zu", output);
}

static void target_encode(const void *state, int32_t code, double *out)
{
    const target_encoder *encoder = state;
    const double *values =
        code >= 0 ? encoder->encodings + (size_t)code * encoder->n_targets : encoder->means;
    memcpy(out, values, encoder->n_targets * sizeof *out);
}

static void target_describe(const void *state, const lathe__dictionary *dict, char *buf,
                            size_t size)
{
    (void)dict;
    const target_encoder *encoder = state;
    char smoothing[32];
    if (encoder->smoothing < 0)
        lathe__format(smoothing, sizeof smoothing, "auto");
    else
        lathe__format(smoothing, sizeof smoothing, "%g", encoder->smoothing);
    lathe__format(buf, size,
                  "target encoding, %zu column%s (smoothing %s; training rows encoded out of "
                  "%zu folds; unknown categories: the mean)",
                  encoder->n_targets, encoder->n_targets == 1 ? "" : "s", smoothing,
                  encoder->n_folds);
}

static void target_save(const void *state, lathe__wbuf *buf)
{
    const target_encoder *encoder = state;
    lathe__wbuf_u64(buf, encoder->n_targets);
    lathe__wbuf_f64(buf, encoder->smoothing);
    lathe__wbuf_u64(buf, encoder->n_folds);
    lathe__wbuf_f64_array(buf, encoder->means, encoder->n_targets);
    lathe__wbuf_f64_array(buf, encoder->encodings, encoder->n_categories * encoder->n_targets);
}

static lathe_status target_load(lathe_ctx *ctx, lathe__rbuf *buf, size_t n_categories, void **state,
                                lathe_error *err)
{
    uint64_t n_targets = lathe__rbuf_u64(buf);
    double smoothing = lathe__rbuf_f64(buf);
    uint64_t n_folds = lathe__rbuf_u64(buf);
    size_t cells = 0;
    if (!buf->failed && (n_targets == 0 || n_targets > MAX_TARGETS ||
                         lathe__mul_overflows(n_categories, (size_t)n_targets, &cells)))
        lathe__rbuf_fail(buf, "target encoding has %llu columns", (unsigned long long)n_targets);
    lathe_status status = lathe__rbuf_status(buf, err);
    if (status != LATHE_OK)
        return status;
    target_encoder *encoder = target_new(ctx, n_categories, (size_t)n_targets);
    if (!encoder)
        return lathe__error_nomem(err);
    encoder->smoothing = smoothing;
    encoder->n_folds = (size_t)n_folds;
    size_t n_means = 0, n_cells = 0;
    double *means = lathe__rbuf_f64_array(buf, ctx, (size_t)n_targets, &n_means);
    double *encodings = lathe__rbuf_f64_array(buf, ctx, cells, &n_cells);
    if (!buf->failed && (n_means != n_targets || n_cells != cells))
        lathe__rbuf_fail(buf,
                         "target encoding holds %zu means and %zu values, expected %llu "
                         "and %zu",
                         n_means, n_cells, (unsigned long long)n_targets, cells);
    status = lathe__rbuf_status(buf, err);
    if (status == LATHE_OK && (!means || (cells > 0 && !encodings)))
        status = lathe__error_nomem(err);
    if (status == LATHE_OK) {
        memcpy(encoder->means, means, n_means * sizeof *means);
        if (cells)
            memcpy(encoder->encodings, encodings, cells * sizeof *encodings);
    }
    lathe__free(ctx, means);
    lathe__free(ctx, encodings);
    if (status != LATHE_OK) {
        target_free(ctx, encoder);
        return status;
    }
    *state = encoder;
    return LATHE_OK;
}

const lathe__encoder_ops lathe__encode_target = {
    "target",        true,        target_fit,  target_n_outputs, target_output_name, target_encode,
    target_describe, target_save, target_load, target_free,
};
