/*
 * train_internal.h: the pieces lathe_train is assembled from (internal).
 */
#ifndef LATHE_TRAIN_INTERNAL_H
#define LATHE_TRAIN_INTERNAL_H

#include "prep/prep.h"
#include "train/model_internal.h"
#include "train/spec.h"

/* Classification or regression, from the request, the family and the target column. */
lathe_status lathe__decide_task(const char *requested, const lathe__model_ops *ops,
                                const lathe_frame *frame, size_t target, lathe__task *task,
                                lathe_error *err);
/* Fills model->class_names from the target's present values in `frame`. */
lathe_status lathe__collect_classes(lathe_model *model, const lathe_frame *frame, size_t target,
                                    lathe_error *err);
/* The shortest text that reads back as `value` exactly. */
void lathe__format_class_number(double value, char *buf, size_t size);

/*
 * Applies a spec's steps to a pipeline spec that holds the defaults. Column
 * overrides are allocated into *columns (the caller frees with
 * lathe__steps_release); names point into `spec`, which must outlive them.
 */
lathe_status lathe__apply_steps(lathe_ctx *ctx, const lathe__spec *spec,
                                const lathe_frame *features, lathe__prep_spec *prep,
                                lathe__prep_column_options **columns, lathe_error *err);
void lathe__steps_release(lathe_ctx *ctx, lathe__prep_column_options *columns);

/* "unknown model \"logistc\" (did you mean \"logistic\"?; models: ...)". */
lathe_status lathe__unknown_family(const char *name, lathe_error *err);

/* Split keys: a group column's values as dense codes, a time column as one number per row. */
lathe_status lathe__group_codes(lathe_ctx *ctx, const lathe_frame *frame, size_t column,
                                int32_t *codes, lathe_error *err);
lathe_status lathe__time_keys(const lathe_frame *frame, size_t column, int64_t *times,
                              lathe_error *err);
/* The frame's weight-role column as sample weights (*weights NULL when there is none). */
lathe_status lathe__sample_weights(lathe_ctx *ctx, const lathe_frame *frame, double **weights,
                                   lathe_error *err);

/* Records the input columns (features' names and kinds) and the target as declarations. */
lathe_status lathe__model_record_columns(lathe_model *model, const lathe_frame *features,
                                         const lathe_frame *data, size_t target, lathe_error *err);
lathe_status lathe__model_record_lineage(lathe_model *model, const lathe_train_options *options,
                                         const lathe__spec *spec, lathe_error *err);

#endif
