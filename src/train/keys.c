/*
 * keys.c: per-row keys a training run reads from columns other than the
 * features: group ids and times for splits, and sample weights.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/intern.h"
#include "core/internal.h"
#include "core/suggest.h"
#include "train/train_internal.h"

#include "core/banned.h"

lathe_status lathe__group_codes(lathe_ctx *ctx, const lathe_frame *frame, size_t column,
                                int32_t *codes, lathe_error *err)
{
    lathe__interner groups;
    lathe__interner_init(&groups, ctx);
    lathe_kind kind = lathe_frame_column_kind(frame, column);
    lathe_status status = LATHE_OK;
    char buf[40];
    for (size_t r = 0; r < lathe_frame_n_rows(frame) && status == LATHE_OK; r++) {
        const char *text = "";
        size_t length = 0;
        if (lathe_frame_is_missing(frame, column, r)) {
            text = "\x01missing"; /* one group for every missing cell */
        } else if (kind == LATHE_KIND_CATEGORICAL) {
            text = lathe_frame_category_name(frame, column, lathe_frame_category(frame, column, r));
        } else if (kind == LATHE_KIND_TEXT) {
            text = lathe_frame_text(frame, column, r, &length);
        } else if (kind == LATHE_KIND_NUMERIC) {
            lathe__format_class_number(lathe_frame_numeric(frame, column, r), buf, sizeof buf);
            text = buf;
        } else if (kind == LATHE_KIND_BOOLEAN) {
            text = lathe_frame_boolean(frame, column, r) ? "true" : "false";
        } else {
            snprintf(buf, sizeof buf, "%lld", (long long)lathe_frame_datetime(frame, column, r));
            text = buf;
        }
        if (kind != LATHE_KIND_TEXT || lathe_frame_is_missing(frame, column, r))
            length = strlen(text);
        status = lathe__interner_put(&groups, text, length, &codes[r], NULL);
    }
    lathe__interner_release(&groups);
    return status == LATHE_OK ? LATHE_OK : lathe__error_nomem(err);
}

lathe_status lathe__time_keys(const lathe_frame *frame, size_t column, int64_t *times,
                              lathe_error *err)
{
    lathe_kind kind = lathe_frame_column_kind(frame, column);
    const char *name = lathe_frame_column_name(frame, column);
    if (kind != LATHE_KIND_DATETIME && kind != LATHE_KIND_NUMERIC)
        return lathe__error(err, LATHE_INVALID,
                            "time column \"%s\" must hold datetimes or numbers, not %s", name,
                            lathe_kind_name(kind));
    for (size_t r = 0; r < lathe_frame_n_rows(frame); r++) {
        if (lathe_frame_is_missing(frame, column, r))
            return lathe__error(err, LATHE_INVALID,
                                "time column \"%s\" is missing in row %zu; a time split needs "
                                "every time",
                                name, r + 1);
        double value = kind == LATHE_KIND_NUMERIC ? lathe_frame_numeric(frame, column, r) : 0;
        if (kind == LATHE_KIND_NUMERIC && !(fabs(value) < 9.2e18))
            return lathe__error(err, LATHE_INVALID, "time column \"%s\" holds %g in row %zu", name,
                                value, r + 1);
        times[r] = kind == LATHE_KIND_DATETIME ? lathe_frame_datetime(frame, column, r)
                                               : (int64_t)llround(value * 1e6);
    }
    return LATHE_OK;
}

lathe_status lathe__sample_weights(lathe_ctx *ctx, const lathe_frame *frame, double **weights,
                                   lathe_error *err)
{
    *weights = NULL;
    size_t column = 0, n_columns = lathe_frame_n_columns(frame);
    while (column < n_columns && lathe_frame_column_role(frame, column) != LATHE_ROLE_WEIGHT)
        column++;
    if (column == n_columns)
        return LATHE_OK;
    const char *name = lathe_frame_column_name(frame, column);
    if (lathe_frame_column_kind(frame, column) != LATHE_KIND_NUMERIC)
        return lathe__error(err, LATHE_INVALID, "weight column \"%s\" must be numeric", name);
    size_t n = lathe_frame_n_rows(frame);
    if (!(*weights = lathe__calloc(ctx, n ? n : 1, sizeof **weights)))
        return lathe__error_nomem(err);
    for (size_t r = 0; r < n; r++) {
        double w = lathe_frame_numeric(frame, column, r);
        if (lathe_frame_is_missing(frame, column, r) || !(w >= 0) || !isfinite(w))
            return lathe__error(err, LATHE_INVALID,
                                "weight column \"%s\" needs a finite weight >= 0 in every row "
                                "(row %zu)",
                                name, r + 1);
        (*weights)[r] = w;
    }
    return LATHE_OK;
}

lathe_status lathe__unknown_family(const char *name, lathe_error *err)
{
    size_t n;
    const lathe__model_ops *const *all = lathe__model_all(&n);
    const char *names[64];
    char list[512] = "";
    size_t at = 0;
    for (size_t i = 0; i < n && i < 64; i++) {
        names[i] = all[i]->name;
        int wrote = snprintf(list + at, sizeof list - at, "%s%s", i ? ", " : "", all[i]->name);
        if (wrote > 0 && (size_t)wrote < sizeof list - at)
            at += (size_t)wrote;
    }
    const char *guess = lathe__suggest(name, names, n < 64 ? n : 64);
    if (guess)
        return lathe__error(err, LATHE_NOT_FOUND,
                            "unknown model \"%s\" (did you mean \"%s\"? models: auto, %s)", name,
                            guess, list);
    return lathe__error(err, LATHE_NOT_FOUND, "unknown model \"%s\" (models: auto, %s)", name,
                        list);
}
