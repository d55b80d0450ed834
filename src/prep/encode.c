/*
 * encode.c: one-hot and ordinal encoding of a column's categories.
 *
 * Codes are positions in the column's sorted training dictionary, so the
 * order of columns and of ordinal values matches sklearn's sorted
 * categories_.
 *
 * one-hot (sklearn OneHotEncoder(min_frequency=..., handle_unknown=
 *   "infrequent_if_exist")): one column per frequent category in sorted
 *   order, then, if any category was rare, one "=infrequent" column pooling
 *   them. A category unseen in training lands in the infrequent column when
 *   there is one and is all zeros otherwise. State: the output column of
 *   every code.
 * ordinal (sklearn OrdinalEncoder(handle_unknown="use_encoded_value",
 *   unknown_value=-1)): the code itself, -1 for an unseen category.
 */
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "prep/step.h"

#include "core/banned.h"

#define NO_OUTPUT (-1)

typedef struct onehot {
    size_t n_categories;
    size_t n_outputs;
    int32_t *output_of;      /* per code: its output column */
    int32_t *code_of_output; /* per output: its code, NO_OUTPUT for the infrequent column */
    int32_t infrequent;      /* the infrequent column, or NO_OUTPUT */
    size_t n_infrequent;     /* categories pooled into it */
    size_t infrequent_under; /* the count threshold it was fitted with */
} onehot;

static void onehot_free(lathe_ctx *ctx, void *state)
{
    onehot *encoder = state;
    if (!encoder)
        return;
    lathe__free(ctx, encoder->output_of);
    lathe__free(ctx, encoder->code_of_output);
    lathe__free(ctx, encoder);
}

static onehot *onehot_new(lathe_ctx *ctx, size_t n_categories)
{
    onehot *encoder = lathe__calloc(ctx, 1, sizeof *encoder);
    if (!encoder)
        return NULL;
    encoder->n_categories = n_categories;
    encoder->infrequent = NO_OUTPUT;
    encoder->output_of = lathe__calloc(ctx, n_categories + 1, sizeof *encoder->output_of);
    encoder->code_of_output = lathe__calloc(ctx, n_categories + 1, sizeof(int32_t));
    if (!encoder->output_of || !encoder->code_of_output) {
        onehot_free(ctx, encoder);
        return NULL;
    }
    return encoder;
}

/* sklearn: an integer min_frequency is a count, a float a fraction of the rows. */
static size_t frequency_threshold(double min_frequency, size_t n_rows)
{
    if (min_frequency <= 0)
        return 0;
    if (min_frequency >= 1)
        return (size_t)ceil(min_frequency);
    return (size_t)ceil(min_frequency * (double)n_rows);
}

/* Numbers the frequent codes 0.. in order, then points the rare ones at one last column. */
static void onehot_assign(onehot *encoder, const size_t *counts, size_t threshold)
{
    size_t next = 0;
    for (size_t code = 0; code < encoder->n_categories; code++) {
        if (counts[code] < threshold) {
            encoder->n_infrequent++;
            continue;
        }
        encoder->code_of_output[next] = (int32_t)code;
        encoder->output_of[code] = (int32_t)next++;
    }
    if (encoder->n_infrequent) {
        encoder->infrequent = (int32_t)next;
        encoder->code_of_output[next++] = NO_OUTPUT;
        for (size_t code = 0; code < encoder->n_categories; code++) {
            if (counts[code] < threshold)
                encoder->output_of[code] = encoder->infrequent;
        }
    }
    encoder->n_outputs = next;
    encoder->infrequent_under = threshold;
}

static lathe_status onehot_fit(lathe_ctx *ctx, const lathe__encode_input *in, void **state,
                               double **training, lathe_error *err)
{
    size_t n_categories = lathe__dictionary_size(in->dict);
    onehot *encoder = onehot_new(ctx, n_categories);
    if (!encoder)
        return lathe__error_nomem(err);
    onehot_assign(encoder, in->dict->counts,
                  frequency_threshold(in->options->min_frequency, in->n_rows));
    *state = encoder;
    *training = NULL;
    return LATHE_OK;
}

static size_t onehot_n_outputs(const void *state)
{
    return ((const onehot *)state)->n_outputs;
}

static void onehot_output_name(const void *state, const lathe__dictionary *dict, size_t output,
                               char *buf, size_t size)
{
    const onehot *encoder = state;
    int32_t code = encoder->code_of_output[output];
    if (code == NO_OUTPUT)
        lathe__format(buf, size, "=infrequent");
    else
        lathe__format(buf, size, "=%s", dict->names.keys[code]);
}

static void onehot_encode(const void *state, int32_t code, double *out)
{
    const onehot *encoder = state;
    memset(out, 0, encoder->n_outputs * sizeof *out);
    int32_t column = code >= 0 ? encoder->output_of[code] : encoder->infrequent;
    if (column != NO_OUTPUT)
        out[column] = 1.0;
}

static void onehot_describe(const void *state, const lathe__dictionary *dict, char *buf,
                            size_t size)
{
    (void)dict;
    const onehot *encoder = state;
    if (encoder->infrequent == NO_OUTPUT)
        lathe__format(buf, size, "one-hot, %zu columns (unknown categories: all zeros)",
                      encoder->n_outputs);
    else
        lathe__format(buf, size,
                      "one-hot, %zu columns (%zu categor%s seen in under %zu rows pooled "
                      "into =infrequent, which also takes unknown categories)",
                      encoder->n_outputs, encoder->n_infrequent,
                      encoder->n_infrequent == 1 ? "y" : "ies", encoder->infrequent_under);
}

static void onehot_save(const void *state, lathe__wbuf *buf)
{
    const onehot *encoder = state;
    lathe__wbuf_u64(buf, encoder->n_outputs);
    lathe__wbuf_u8(buf, encoder->infrequent != NO_OUTPUT);
    lathe__wbuf_u64(buf, encoder->infrequent_under);
    lathe__wbuf_i32_array(buf, encoder->output_of, encoder->n_categories);
}

/*
 * Checks a loaded code -> output map and derives the rest from it: every
 * output but the infrequent one must hold exactly one code, the infrequent
 * one (the last) at least one.
 */
static void onehot_check(onehot *encoder, lathe__rbuf *buf)
{
    size_t n_outputs = encoder->n_outputs;
    for (size_t i = 0; i < n_outputs; i++)
        encoder->code_of_output[i] = NO_OUTPUT;
    for (size_t code = 0; code < encoder->n_categories; code++) {
        int32_t output = encoder->output_of[code];
        if (output < 0 || (size_t)output >= n_outputs) {
            lathe__rbuf_fail(buf, "one-hot column %d of category %zu is out of range", (int)output,
                             code);
            return;
        }
        if (output == encoder->infrequent) {
            encoder->n_infrequent++;
        } else if (encoder->code_of_output[output] != NO_OUTPUT) {
            lathe__rbuf_fail(buf, "one-hot column %d holds two categories", (int)output);
            return;
        } else {
            encoder->code_of_output[output] = (int32_t)code;
        }
    }
    for (size_t i = 0; i < n_outputs; i++) {
        bool filled = (int32_t)i == encoder->infrequent ? encoder->n_infrequent > 0
                                                        : encoder->code_of_output[i] != NO_OUTPUT;
        if (!filled) {
            lathe__rbuf_fail(buf, "one-hot column %zu holds no category", i);
            return;
        }
    }
}

static lathe_status onehot_load(lathe_ctx *ctx, lathe__rbuf *buf, size_t n_categories, void **state,
                                lathe_error *err)
{
    onehot *encoder = onehot_new(ctx, n_categories);
    if (!encoder)
        return lathe__error_nomem(err);
    uint64_t n_outputs = lathe__rbuf_u64(buf);
    if (n_outputs > n_categories + 1)
        lathe__rbuf_fail(buf, "one-hot has %llu columns for %zu categories",
                         (unsigned long long)n_outputs, n_categories);
    encoder->n_outputs = buf->failed ? 0 : (size_t)n_outputs;
    bool has_infrequent = lathe__rbuf_u8(buf) != 0;
    encoder->infrequent_under = lathe__rbuf_u64(buf);
    size_t count = 0;
    int32_t *output_of = lathe__rbuf_i32_array(buf, ctx, n_categories, &count);
    if (!buf->failed && count != n_categories)
        lathe__rbuf_fail(buf, "one-hot map has %zu categories, the dictionary %zu", count,
                         n_categories);
    if (has_infrequent && encoder->n_outputs > 0)
        encoder->infrequent = (int32_t)(encoder->n_outputs - 1);
    lathe_status status = lathe__rbuf_status(buf, err);
    if (status == LATHE_OK && count > 0 && !output_of)
        status = lathe__error_nomem(err);
    if (status == LATHE_OK && count > 0) {
        memcpy(encoder->output_of, output_of, count * sizeof *output_of);
        onehot_check(encoder, buf);
        status = lathe__rbuf_status(buf, err);
    }
    lathe__free(ctx, output_of);
    if (status != LATHE_OK) {
        onehot_free(ctx, encoder);
        return status;
    }
    *state = encoder;
    return LATHE_OK;
}

static void ordinal_encode(const void *state, int32_t code, double *out)
{
    (void)state;
    out[0] = (double)code;
}

static size_t one_output(const void *state)
{
    (void)state;
    return 1;
}

static void ordinal_output_name(const void *state, const lathe__dictionary *dict, size_t output,
                                char *buf, size_t size)
{
    (void)state;
    (void)dict;
    (void)output;
    lathe__format(buf, size, "%s", "");
}

static void ordinal_describe(const void *state, const lathe__dictionary *dict, char *buf,
                             size_t size)
{
    (void)state;
    lathe__format(buf, size, "ordinal, codes 0..%zu in sorted order (unknown categories: -1)",
                  lathe__dictionary_size(dict) - 1);
}

/* Ordinal encoding has no state of its own; a non-NULL marker keeps "fitted" checks simple. */
static char ordinal_marker;

static lathe_status ordinal_fit(lathe_ctx *ctx, const lathe__encode_input *in, void **state,
                                double **training, lathe_error *err)
{
    (void)ctx;
    (void)in;
    (void)err;
    *state = &ordinal_marker;
    *training = NULL;
    return LATHE_OK;
}

static void ordinal_save(const void *state, lathe__wbuf *buf)
{
    (void)state;
    (void)buf;
}

static lathe_status ordinal_load(lathe_ctx *ctx, lathe__rbuf *buf, size_t n_categories,
                                 void **state, lathe_error *err)
{
    (void)ctx;
    (void)buf;
    (void)n_categories;
    (void)err;
    *state = &ordinal_marker;
    return LATHE_OK;
}

static void ordinal_free(lathe_ctx *ctx, void *state)
{
    (void)ctx;
    (void)state;
}

const lathe__encoder_ops lathe__encode_onehot = {
    "onehot",      false,           onehot_fit,  onehot_n_outputs, onehot_output_name,
    onehot_encode, onehot_describe, onehot_save, onehot_load,      onehot_free,
};

/* Codes for native categorical splits: missing and unknown are NaN, so trees route them. */
static void codes_encode(const void *state, int32_t code, double *out)
{
    (void)state;
    out[0] = code < 0 ? NAN : (double)code;
}

static void codes_describe(const void *state, const lathe__dictionary *dict, char *buf, size_t size)
{
    (void)state;
    lathe__format(buf, size, "category codes 0..%zu for native splits (missing, unknown: NaN)",
                  lathe__dictionary_size(dict) - 1);
}

const lathe__encoder_ops lathe__encode_codes = {
    "codes",      false,          ordinal_fit,  one_output,   ordinal_output_name,
    codes_encode, codes_describe, ordinal_save, ordinal_load, ordinal_free,
};

const lathe__encoder_ops lathe__encode_ordinal = {
    "ordinal",        false,        ordinal_fit,  one_output,   ordinal_output_name, ordinal_encode,
    ordinal_describe, ordinal_save, ordinal_load, ordinal_free,
};
