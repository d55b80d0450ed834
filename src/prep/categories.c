/*
 * categories.c: the plan family for categorical columns and for text
 * columns encoded as categories.
 *
 * Values are matched by their text, never by a frame's codes: a frame read
 * later has its own dictionary. Fitting counts the training values, imputes
 * missing cells (the most frequent value, ties to the smallest; or a
 * constant, "missing" by default, which becomes a category of its own when
 * training rows were missing), sorts the categories by their bytes (Python's
 * order for UTF-8, so codes match sklearn's categories_) and fits the
 * encoder on the codes. A value not in the dictionary is code -1, which
 * each encoder handles as "unknown".
 */
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "prep/plan.h"

#include "core/banned.h"

#define DEFAULT_FILL "missing"

/* The text of a present cell of a categorical or text column. */
static const char *cell_text(const lathe_frame *frame, size_t column, size_t row, size_t *length)
{
    if (lathe_frame_column_kind(frame, column) == LATHE_KIND_TEXT)
        return lathe_frame_text(frame, column, row, length);
    const char *name =
        lathe_frame_category_name(frame, column, lathe_frame_category(frame, column, row));
    *length = strlen(name);
    return name;
}

static int32_t cell_code(const lathe__plan *plan, const lathe_frame *frame, size_t column,
                         size_t row)
{
    if (lathe_frame_is_missing(frame, column, row))
        return plan->fill_code;
    size_t length;
    const char *text = cell_text(frame, column, row, &length);
    return lathe__interner_find(&plan->dict.names, text, length);
}

static void categories_write(const lathe__plan *plan, const lathe_frame *frame, size_t column,
                             size_t row, double *out)
{
    lathe__encoder_of(plan->encoder)
        ->encode(plan->encoder_state, cell_code(plan, frame, column, row), out);
}

/* ---- fitting ---------------------------------------------------------- */

/* Training values in first-seen order with their counts. */
typedef struct tally {
    lathe__interner seen;
    size_t *counts;
    size_t capacity;
    size_t n_missing;
} tally;

static lathe_status tally_add(lathe_ctx *ctx, tally *t, const char *text, size_t length,
                              size_t times)
{
    int32_t id;
    bool added;
    lathe_status status = lathe__interner_put(&t->seen, text, length, &id, &added);
    if (status != LATHE_OK)
        return status;
    void *counts = t->counts;
    if (!lathe__grow(ctx, &counts, &t->capacity, (size_t)id + 1, sizeof *t->counts))
        return LATHE_NOMEM;
    t->counts = counts;
    if (added)
        t->counts[id] = 0;
    t->counts[id] += times;
    return LATHE_OK;
}

static lathe_status tally_rows(lathe_ctx *ctx, const lathe_frame *frame, size_t column, tally *t)
{
    for (size_t r = 0; r < lathe_frame_n_rows(frame); r++) {
        if (lathe_frame_is_missing(frame, column, r)) {
            t->n_missing++;
            continue;
        }
        size_t length;
        const char *text = cell_text(frame, column, r, &length);
        lathe_status status = tally_add(ctx, t, text, length, 1);
        if (status != LATHE_OK)
            return status;
    }
    return LATHE_OK;
}

static int compare_bytes(const char *a, size_t a_length, const char *b, size_t b_length)
{
    int c = memcmp(a, b, a_length < b_length ? a_length : b_length);
    if (c != 0)
        return c;
    return (a_length > b_length) - (a_length < b_length);
}

/* The most frequent value, ties to the smallest (sklearn's most_frequent). */
static int32_t most_frequent(const tally *t)
{
    int32_t best = -1;
    for (size_t id = 0; id < t->seen.n_keys; id++) {
        if (best < 0 || t->counts[id] > t->counts[best] ||
            (t->counts[id] == t->counts[best] &&
             compare_bytes(t->seen.keys[id], t->seen.lengths[id], t->seen.keys[best],
                           t->seen.lengths[best]) < 0))
            best = (int32_t)id;
    }
    return best;
}

static bool id_before(const lathe__interner *names, int32_t a, int32_t b)
{
    return compare_bytes(names->keys[a], names->lengths[a], names->keys[b], names->lengths[b]) < 0;
}

/* Merge sort of ids by their keys (qsort takes no context, and a global would be hidden state). */
static void sort_ids(const lathe__interner *names, int32_t *ids, int32_t *scratch, size_t n)
{
    if (n < 2)
        return;
    size_t half = n / 2;
    sort_ids(names, ids, scratch, half);
    sort_ids(names, ids + half, scratch, n - half);
    for (size_t a = 0, b = half, k = 0; k < n; k++) {
        bool take_b = a >= half || (b < n && id_before(names, ids[b], ids[a]));
        scratch[k] = take_b ? ids[b++] : ids[a++];
    }
    memcpy(ids, scratch, n * sizeof *ids);
}

/* The dictionary: the tallied values in sorted order, code = position. */
static lathe_status build_dictionary(lathe_ctx *ctx, const tally *t, lathe__dictionary *dict)
{
    size_t n = t->seen.n_keys;
    int32_t *ids = lathe__calloc(ctx, n + 1, sizeof *ids);
    int32_t *scratch = lathe__calloc(ctx, n + 1, sizeof *scratch);
    dict->counts = lathe__calloc(ctx, n + 1, sizeof *dict->counts);
    lathe_status status = LATHE_OK;
    if (!ids || !scratch || !dict->counts) {
        status = LATHE_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        ids[i] = (int32_t)i;
    sort_ids(&t->seen, ids, scratch, n);
    for (size_t k = 0; k < n && status == LATHE_OK; k++) {
        int32_t code;
        status = lathe__interner_put(&dict->names, t->seen.keys[ids[k]], t->seen.lengths[ids[k]],
                                     &code, NULL);
        dict->counts[k] = t->counts[ids[k]];
    }
out:
    lathe__free(ctx, ids);
    lathe__free(ctx, scratch);
    return status;
}

/* The text missing cells become; mean and median have no meaning for categories. */
static lathe_status choose_fill(const lathe__plan_fit *in, const tally *t, lathe__plan *plan,
                                lathe_error *err)
{
    lathe__impute impute = in->options->impute;
    if (impute == LATHE__IMPUTE_NONE) { /* missing cells stay code -1 */
        plan->impute = (uint8_t)impute;
        plan->fill_text = lathe__strndup(in->ctx, "", 0);
        return plan->fill_text ? LATHE_OK : lathe__error_nomem(err);
    }
    if (impute != LATHE__IMPUTE_MOST_FREQUENT && impute != LATHE__IMPUTE_CONSTANT)
        return lathe__error(err, LATHE_INVALID,
                            "impute %s does not apply to categorical column %s (use "
                            "most_frequent or constant)",
                            lathe__prep_choice_name(LATHE__CHOICE_IMPUTE, (int)impute), plan->name);
    const char *text = in->options->fill_category ? in->options->fill_category : DEFAULT_FILL;
    size_t length = strlen(text);
    int32_t best = impute == LATHE__IMPUTE_MOST_FREQUENT ? most_frequent(t) : -1;
    if (best >= 0) {
        text = t->seen.keys[best];
        length = t->seen.lengths[best];
    }
    plan->impute = (uint8_t)impute;
    plan->fill_text = lathe__strndup(in->ctx, text, length);
    return plan->fill_text ? LATHE_OK : lathe__error_nomem(err);
}

/* Training rows dealt into folds after a seeded shuffle, class by class for classifiers. */
static void assign_folds(const lathe__plan_fit *in, size_t n_rows, size_t n_folds, size_t *order,
                         uint32_t *folds)
{
    uint64_t state = lathe_ctx_seed(in->ctx);
    for (size_t i = 0; i < n_rows; i++)
        order[i] = i;
    for (size_t i = n_rows; i > 1; i--) {
        size_t j = (size_t)(lathe__splitmix64(&state) % i);
        size_t swap = order[i - 1];
        order[i - 1] = order[j];
        order[j] = swap;
    }
    size_t dealt = 0;
    size_t n_groups = in->task == LATHE__TASK_CLASSIFICATION ? in->n_classes : 1;
    for (size_t group = 0; group < n_groups; group++) {
        for (size_t i = 0; i < n_rows; i++) {
            size_t row = order[i];
            if (n_groups == 1 || (size_t)in->y[row] == group)
                folds[row] = (uint32_t)(dealt++ % n_folds);
        }
    }
}

static lathe_status fit_encoder(const lathe__plan_fit *in, lathe__plan *plan, const int32_t *codes,
                                double **training, lathe_error *err)
{
    lathe_ctx *ctx = in->ctx;
    const lathe__encoder_ops *ops = lathe__encoder_of(plan->encoder);
    size_t n_rows = lathe_frame_n_rows(in->frame), n_folds = in->options->target_folds;
    if (ops->needs_target && !in->y)
        return lathe__error(err, LATHE_INVALID, "%s encoding of column %s needs a target",
                            ops->name, plan->name);
    if (ops->needs_target && n_rows < 2)
        return lathe__error(err, LATHE_INVALID,
                            "%s encoding of column %s needs at least 2 training rows", ops->name,
                            plan->name);
    if (n_folds > n_rows)
        n_folds = n_rows;
    uint32_t *folds = lathe__calloc(ctx, n_rows, sizeof *folds);
    size_t *order = lathe__calloc(ctx, n_rows, sizeof *order);
    lathe_status status;
    if (!folds || !order) {
        status = lathe__error_nomem(err);
        goto out;
    }
    if (ops->needs_target)
        assign_folds(in, n_rows, n_folds, order, folds);
    lathe__encode_input encode = {n_rows,        &plan->dict, codes,   in->y,      in->task,
                                  in->n_classes, folds,       n_folds, in->options};
    status = ops->fit(ctx, &encode, &plan->encoder_state, training, err);
    if (status == LATHE_OK)
        plan->n_outputs = ops->n_outputs(plan->encoder_state);
out:
    lathe__free(ctx, folds);
    lathe__free(ctx, order);
    return status;
}

/* Turns a bare status from the tally or interner into a message. */
static lathe_status tally_error(const lathe__plan *plan, lathe_status status, lathe_error *err)
{
    if (status == LATHE_LIMIT)
        return lathe__error(err, status, "column %s has too many categories", plan->name);
    if (status != LATHE_OK)
        return lathe__error_nomem(err);
    return LATHE_OK;
}

static lathe_status categories_fit(const lathe__plan_fit *in, lathe__plan *plan, double **training,
                                   lathe_error *err)
{
    lathe_ctx *ctx = in->ctx;
    size_t n_rows = lathe_frame_n_rows(in->frame);
    tally t = {0};
    lathe__interner_init(&t.seen, ctx);
    lathe__interner_init(&plan->dict.names, ctx);
    plan->encoder = (uint8_t)in->options->encode;
    *training = NULL;
    int32_t *codes = lathe__calloc(ctx, n_rows + 1, sizeof *codes);
    if (!codes)
        return lathe__error_nomem(err);
    lathe_status status = tally_error(plan, tally_rows(ctx, in->frame, in->column, &t), err);
    if (status == LATHE_OK)
        status = choose_fill(in, &t, plan, err);
    if (status == LATHE_OK && t.n_missing > 0 && plan->impute != LATHE__IMPUTE_NONE) {
        status = tally_add(ctx, &t, plan->fill_text, strlen(plan->fill_text), t.n_missing);
        status = tally_error(plan, status, err);
    }
    if (status == LATHE_OK)
        status = tally_error(plan, build_dictionary(ctx, &t, &plan->dict), err);
    if (status == LATHE_OK) {
        plan->fill_code =
            plan->impute == LATHE__IMPUTE_NONE
                ? -1
                : lathe__interner_find(&plan->dict.names, plan->fill_text, strlen(plan->fill_text));
        for (size_t r = 0; r < n_rows; r++)
            codes[r] = cell_code(plan, in->frame, in->column, r);
        status = fit_encoder(in, plan, codes, training, err);
    }
    lathe__interner_release(&t.seen);
    lathe__free(ctx, t.counts);
    lathe__free(ctx, codes);
    return status;
}

/* ---- naming, describing, saving --------------------------------------- */

static void categories_output_name(const lathe__plan *plan, size_t output, char *buf, size_t size)
{
    char suffix[256];
    lathe__encoder_of(plan->encoder)
        ->output_name(plan->encoder_state, &plan->dict, output, suffix, sizeof suffix);
    lathe__format(buf, size, "%s%s", plan->name, suffix);
}

static double categories_nonzeros(const lathe__plan *plan)
{
    return plan->encoder == LATHE__ENCODE_ONEHOT ? 1.0 : (double)plan->n_outputs;
}

static void categories_describe(const lathe__plan *plan, char *buf, size_t size)
{
    char encoding[384];
    lathe__encoder_of(plan->encoder)
        ->describe(plan->encoder_state, &plan->dict, encoding, sizeof encoding);
    const char *impute = lathe__prep_choice_name(LATHE__CHOICE_IMPUTE, plan->impute);
    lathe__format(buf, size, "%s%zu categories, impute %s \"%s\", %s",
                  plan->kind == LATHE_KIND_TEXT ? "text as categories: " : "",
                  lathe__dictionary_size(&plan->dict), impute ? impute : "?", plan->fill_text,
                  encoding);
}

static void categories_save(const lathe__plan *plan, lathe__wbuf *buf)
{
    const lathe__dictionary *dict = &plan->dict;
    size_t n = lathe__dictionary_size(dict);
    lathe__wbuf_u64(buf, n);
    for (size_t code = 0; code < n; code++) {
        lathe__wbuf_string(buf, dict->names.keys[code], dict->names.lengths[code]);
        lathe__wbuf_u64(buf, dict->counts[code]);
    }
    lathe__wbuf_u8(buf, plan->impute);
    lathe__wbuf_i64(buf, plan->fill_code);
    lathe__wbuf_cstring(buf, plan->fill_text);
    lathe__wbuf_u8(buf, plan->encoder);
    lathe__encoder_of(plan->encoder)->save(plan->encoder_state, buf);
}

#define MAX_CATEGORIES (1u << 30)
#define MAX_CATEGORY_BYTES (1u << 20)

static lathe_status dictionary_load(lathe_ctx *ctx, lathe__rbuf *buf, lathe__dictionary *dict,
                                    lathe_error *err)
{
    /* each category takes at least its u64 length and u64 count */
    size_t n = lathe__rbuf_count(buf, MAX_CATEGORIES, 16);
    dict->counts = lathe__calloc(ctx, n + 1, sizeof *dict->counts);
    if (!dict->counts)
        return lathe__error_nomem(err);
    for (size_t code = 0; code < n && !buf->failed; code++) {
        uint64_t length = lathe__rbuf_u64(buf);
        const char *text = length <= MAX_CATEGORY_BYTES ? lathe__rbuf_bytes(buf, length) : NULL;
        if (!text) {
            lathe__rbuf_fail(buf, "category %zu of %llu bytes", code, (unsigned long long)length);
            break;
        }
        int32_t id;
        bool added;
        if (lathe__interner_put(&dict->names, text, (size_t)length, &id, &added) != LATHE_OK)
            return lathe__error_nomem(err);
        if (!added)
            lathe__rbuf_fail(buf, "category %zu repeats an earlier one", code);
        dict->counts[code] = lathe__rbuf_u64(buf);
    }
    return lathe__rbuf_status(buf, err);
}

static lathe_status categories_load(lathe_ctx *ctx, lathe__rbuf *buf, lathe__plan *plan,
                                    lathe_error *err)
{
    lathe__interner_init(&plan->dict.names, ctx);
    lathe_status status = dictionary_load(ctx, buf, &plan->dict, err);
    if (status != LATHE_OK)
        return status;
    size_t n = lathe__dictionary_size(&plan->dict);
    plan->impute = lathe__rbuf_u8(buf);
    int64_t fill_code = lathe__rbuf_i64(buf);
    plan->fill_text = lathe__rbuf_string(buf, ctx, MAX_CATEGORY_BYTES);
    plan->encoder = lathe__rbuf_u8(buf);
    if (!buf->failed && (plan->impute >= LATHE__IMPUTE_COUNT || fill_code < -1 ||
                         fill_code >= (int64_t)n || !lathe__encoder_of(plan->encoder) || n == 0))
        lathe__rbuf_fail(buf, "bad categories of %s", plan->name);
    plan->fill_code = (int32_t)fill_code;
    status = lathe__rbuf_status(buf, err);
    if (status != LATHE_OK)
        return status;
    if (!plan->fill_text)
        return lathe__error_nomem(err);
    const lathe__encoder_ops *ops = lathe__encoder_of(plan->encoder);
    status = ops->load(ctx, buf, n, &plan->encoder_state, err);
    if (status == LATHE_OK)
        plan->n_outputs = ops->n_outputs(plan->encoder_state);
    return status;
}

static void categories_release(lathe_ctx *ctx, lathe__plan *plan)
{
    const lathe__encoder_ops *ops = lathe__encoder_of(plan->encoder);
    if (ops && plan->encoder_state)
        ops->free(ctx, plan->encoder_state);
    plan->encoder_state = NULL;
    lathe__interner_release(&plan->dict.names);
    lathe__free(ctx, plan->dict.counts);
    plan->dict.counts = NULL;
    lathe__free(ctx, plan->fill_text);
    plan->fill_text = NULL;
}

const lathe__family_ops lathe__family_categories = {
    categories_fit,      categories_write, categories_output_name, categories_nonzeros,
    categories_describe, categories_save,  categories_load,        categories_release,
};
