/*
 * test_metrics.c: metrics on cases small enough to check by hand.
 *
 * Most expected values are the examples in scikit-learn's documentation
 * (noted beside them) or worked out on paper; tests/oracle/
 * test_metrics_sklearn.py compares against scikit-learn on a thousand
 * random cases. Bootstrap intervals are checked for determinism and
 * against the normal approximation of a proportion's standard error.
 */
#include <float.h>
#include <stdint.h>

#include "harness.h"
#include "lathe/metrics.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* One context for the whole file, made on first use (tests run in any order). */
static lathe_ctx *context(void)
{
    static lathe_ctx *ctx;
    if (!ctx)
        ctx = lathe_ctx_new();
    return ctx;
}

static lathe_metric_value classify(const lathe_classification_data *data, lathe_metric metric)
{
    lathe_metric_value value = {NULL, -1, "not computed"};
    lathe_error err;
    if (lathe_metrics_classification(context(), data, metric, &value, &err) != LATHE_OK)
        fprintf(stderr, "%s\n", err.message);
    return value;
}

static double regress(const lathe_regression_data *data, lathe_metric metric)
{
    lathe_metric_value value = {NULL, -1, "not computed"};
    lathe_error err;
    if (lathe_metrics_regression(context(), data, metric, &value, &err) != LATHE_OK)
        fprintf(stderr, "%s\n", err.message);
    return value.value;
}

/* ---- names -------------------------------------------------------------- */

TEST(metric_names_round_trip_and_match_the_design)
{
    const char *design[] = {"accuracy",
                            "balanced_accuracy",
                            "precision_macro",
                            "recall_macro",
                            "f1_macro",
                            "roc_auc",
                            "pr_auc",
                            "log_loss",
                            "mcc",
                            "rmse",
                            "mae",
                            "r2",
                            "mape"};
    for (size_t i = 0; i < N(design); i++) {
        lathe_metric metric;
        CHECK_MSG(lathe_metric_parse(design[i], &metric), "%s is a metric", design[i]);
        CHECK_STR(lathe_metric_name(metric), design[i]);
    }
    lathe_metric metric;
    CHECK(!lathe_metric_parse("auc", &metric));
    CHECK(lathe_metric_name(LATHE_METRIC_COUNT) == NULL);
    CHECK(lathe_metric_is_regression(LATHE_METRIC_RMSE));
    CHECK(!lathe_metric_is_regression(LATHE_METRIC_ROC_AUC));
    CHECK(lathe_metric_needs_proba(LATHE_METRIC_LOG_LOSS));
    CHECK(!lathe_metric_needs_proba(LATHE_METRIC_MCC));
    CHECK(!lathe_metric_greater_is_better(LATHE_METRIC_LOG_LOSS));
    CHECK(lathe_metric_greater_is_better(LATHE_METRIC_R2));
}

/* ---- labels ------------------------------------------------------------- */

/* sklearn's precision_recall_fscore_support example, classes cat/dog/pig as 0/1/2. */
static const int32_t doc_true[] = {0, 1, 2, 0, 1, 2};
static const int32_t doc_pred[] = {0, 2, 1, 0, 0, 1};

TEST(averages_match_the_scikit_learn_documentation)
{
    lathe_classification_data data = {6, 3, doc_true, doc_pred, NULL, NULL};
    CHECK_NEAR(classify(&data, LATHE_METRIC_PRECISION_MACRO).value, 2.0 / 9.0, 1e-15);
    CHECK_NEAR(classify(&data, LATHE_METRIC_RECALL_MACRO).value, 1.0 / 3.0, 1e-15);
    CHECK_NEAR(classify(&data, LATHE_METRIC_F1_MACRO).value, 4.0 / 15.0, 1e-15);
    CHECK_NEAR(classify(&data, LATHE_METRIC_PRECISION_MICRO).value, 1.0 / 3.0, 1e-15);
    CHECK_NEAR(classify(&data, LATHE_METRIC_F1_MICRO).value, 1.0 / 3.0, 1e-15);
    CHECK_NEAR(classify(&data, LATHE_METRIC_PRECISION_WEIGHTED).value, 2.0 / 9.0, 1e-15);
    CHECK_NEAR(classify(&data, LATHE_METRIC_F1_WEIGHTED).value, 4.0 / 15.0, 1e-15);
    CHECK_NEAR(classify(&data, LATHE_METRIC_ACCURACY).value, 1.0 / 3.0, 1e-15);
}

TEST(classes_absent_from_both_sides_do_not_dilute_macro_averages)
{
    /* the same labels with a fourth class nobody uses */
    lathe_classification_data data = {6, 4, doc_true, doc_pred, NULL, NULL};
    CHECK_NEAR(classify(&data, LATHE_METRIC_PRECISION_MACRO).value, 2.0 / 9.0, 1e-15);
    CHECK_NEAR(classify(&data, LATHE_METRIC_RECALL_MACRO).value, 1.0 / 3.0, 1e-15);
}

TEST(a_class_only_predicted_counts_in_macro_averages_with_zero_division_as_zero)
{
    static const int32_t truth[] = {0, 0, 1, 1}, predicted[] = {0, 2, 1, 1};
    lathe_classification_data data = {4, 3, truth, predicted, NULL, NULL};
    /* precision 1, 1, 0 over classes {0, 1, 2}; recall 1/2, 1, 0 (class 2 never true) */
    CHECK_NEAR(classify(&data, LATHE_METRIC_PRECISION_MACRO).value, 2.0 / 3.0, 1e-15);
    CHECK_NEAR(classify(&data, LATHE_METRIC_RECALL_MACRO).value, 0.5, 1e-15);
    /* balanced accuracy averages recall over the classes in y_true only */
    CHECK_NEAR(classify(&data, LATHE_METRIC_BALANCED_ACCURACY).value, 0.75, 1e-15);
}

TEST(per_class_scores_and_confusion_matrix)
{
    static const int32_t truth[] = {0, 0, 1, 1}, predicted[] = {0, 2, 1, 1};
    static const double weights[] = {1, 3, 1, 1};
    lathe_classification_data data = {4, 3, truth, predicted, NULL, weights};
    lathe_class_scores scores[3];
    double matrix[9];
    lathe_error err;
    CHECK_OK(lathe_metrics_per_class(context(), &data, scores, &err), err);
    CHECK_NEAR(scores[0].precision, 1.0, 0);
    CHECK_NEAR(scores[0].recall, 0.25, 0);
    CHECK_NEAR(scores[0].f1, 0.4, 1e-15);
    CHECK_NEAR(scores[0].support, 4.0, 0);
    CHECK_NEAR(scores[2].precision, 0.0, 0);
    CHECK_NEAR(scores[2].support, 0.0, 0);
    CHECK_OK(lathe_metrics_confusion(context(), &data, matrix, &err), err);
    const double expected[9] = {1, 0, 3, 0, 2, 0, 0, 0, 0};
    for (int i = 0; i < 9; i++)
        CHECK_NEAR(matrix[i], expected[i], 0);
}

TEST(weights_scale_rows)
{
    static const int32_t truth[] = {0, 1}, predicted[] = {0, 0};
    static const double weights[] = {3, 1};
    lathe_classification_data data = {2, 2, truth, predicted, NULL, weights};
    CHECK_NEAR(classify(&data, LATHE_METRIC_ACCURACY).value, 0.75, 1e-15);
}

TEST(mcc_matches_the_scikit_learn_documentation)
{
    static const int32_t truth[] = {1, 1, 1, 0}, predicted[] = {1, 0, 1, 1};
    lathe_classification_data data = {4, 2, truth, predicted, NULL, NULL};
    CHECK_NEAR(classify(&data, LATHE_METRIC_MCC).value, -1.0 / 3.0, 1e-15);
    /* one predicted class: scikit-learn defines mcc as 0 */
    static const int32_t constant[] = {1, 1, 1, 1};
    data.y_pred = constant;
    CHECK_NEAR(classify(&data, LATHE_METRIC_MCC).value, 0.0, 0);
}

TEST(cohen_kappa_and_its_undefined_case)
{
    static const int32_t first[] = {0, 0, 1, 1}, second[] = {0, 1, 1, 1};
    lathe_classification_data data = {4, 2, first, second, NULL, NULL};
    /* observed disagreement 1, expected 0.5 + 1.5 = 2 */
    CHECK_NEAR(classify(&data, LATHE_METRIC_COHEN_KAPPA).value, 0.5, 1e-15);
    static const int32_t same[] = {1, 1, 1, 1};
    data.y_true = same;
    data.y_pred = same;
    lathe_metric_value kappa = classify(&data, LATHE_METRIC_COHEN_KAPPA);
    CHECK(isnan(kappa.value));
    CHECK(kappa.undefined != NULL);
}

TEST(predictions_default_to_the_first_most_probable_class)
{
    static const int32_t truth[] = {0, 1, 1};
    static const double proba[] = {0.5, 0.5, 0.2, 0.8, 0.6, 0.4};
    lathe_classification_data data = {3, 2, truth, NULL, proba, NULL};
    /* predicted 0 (tie), 1, 0 */
    CHECK_NEAR(classify(&data, LATHE_METRIC_ACCURACY).value, 2.0 / 3.0, 1e-15);
}

/* ---- probabilities ------------------------------------------------------ */

/* Binary probabilities from scores of class 1. */
static void binary_proba(const double *scores, size_t n, double *proba)
{
    for (size_t i = 0; i < n; i++) {
        proba[2 * i] = 1 - scores[i];
        proba[2 * i + 1] = scores[i];
    }
}

TEST(roc_auc_and_average_precision_match_the_scikit_learn_documentation)
{
    static const int32_t truth[] = {0, 0, 1, 1};
    static const double scores[] = {0.1, 0.4, 0.35, 0.8};
    double proba[8];
    binary_proba(scores, 4, proba);
    lathe_classification_data data = {4, 2, truth, NULL, proba, NULL};
    CHECK_NEAR(classify(&data, LATHE_METRIC_ROC_AUC).value, 0.75, 1e-15);
    /* thresholds 0.8, 0.4, 0.35: recall steps 1/2 at precision 1, 1/2 at precision 2/3 */
    CHECK_NEAR(classify(&data, LATHE_METRIC_PR_AUC).value, 5.0 / 6.0, 1e-15);
}

TEST(tied_scores_form_one_threshold)
{
    static const int32_t truth[] = {0, 1, 0, 1, 1};
    static const double scores[] = {0.5, 0.5, 0.2, 0.9, 0.2};
    double proba[10];
    binary_proba(scores, 5, proba);
    lathe_classification_data data = {5, 2, truth, NULL, proba, NULL};
    /* pairs (pos, neg) ordered right 3 of 6, tied 2 (half each), wrong 1: (3 + 1) / 6 */
    CHECK_NEAR(classify(&data, LATHE_METRIC_ROC_AUC).value, 4.0 / 6.0, 1e-15);
    /* thresholds 0.9 (1/1), 0.5 (2/3), 0.2 (3/5): recall thirds at those precisions */
    CHECK_NEAR(classify(&data, LATHE_METRIC_PR_AUC).value, (1.0 + 2.0 / 3.0 + 3.0 / 5.0) / 3.0,
               1e-15);
}

TEST(roc_auc_is_undefined_for_a_single_class)
{
    static const int32_t truth[] = {1, 1, 1};
    static const double proba[] = {0.2, 0.8, 0.5, 0.5, 0.9, 0.1};
    lathe_classification_data data = {3, 2, truth, NULL, proba, NULL};
    lathe_metric_value auc = classify(&data, LATHE_METRIC_ROC_AUC);
    CHECK(isnan(auc.value));
    CHECK_STR(auc.undefined, "only one class present in y_true");
    /* scikit-learn's average precision is 1 with only positives, and still defined */
    CHECK_NEAR(classify(&data, LATHE_METRIC_PR_AUC).value, 1.0, 0);
}

TEST(multiclass_roc_auc_is_one_vs_rest_macro_and_needs_every_class)
{
    static const int32_t truth[] = {0, 1, 2, 2};
    static const double proba[] = {0.6, 0.3, 0.1, /**/ 0.2, 0.5, 0.3,
                                   0.1, 0.6, 0.3, /**/ 0.1, 0.1, 0.8};
    lathe_classification_data data = {4, 3, truth, NULL, proba, NULL};
    /* class 0: 1; class 1: positive 0.5 beats 0.3 and 0.1, loses to 0.6: 2/3;
     * class 2: positives 0.3, 0.8 against 0.1, 0.3: (2 + 1.5) / 4 */
    CHECK_NEAR(classify(&data, LATHE_METRIC_ROC_AUC).value, (1 + 2.0 / 3.0 + 3.5 / 4) / 3, 1e-15);
    data.n_rows = 3; /* rows 0..2 hold one row per class: still defined */
    CHECK(!isnan(classify(&data, LATHE_METRIC_ROC_AUC).value));
    data.n_rows = 2; /* class 2 absent */
    lathe_metric_value auc = classify(&data, LATHE_METRIC_ROC_AUC);
    CHECK(isnan(auc.value));
    CHECK_HAS(auc.undefined, "absent from y_true");
}

TEST(zero_weight_rows_are_left_out_of_the_curves)
{
    static const int32_t truth[] = {0, 0, 1, 1, 0};
    static const double scores[] = {0.1, 0.4, 0.35, 0.8, 0.9};
    static const double weights[] = {1, 1, 1, 1, 0};
    double proba[10];
    binary_proba(scores, 5, proba);
    lathe_classification_data data = {5, 2, truth, NULL, proba, weights};
    CHECK_NEAR(classify(&data, LATHE_METRIC_ROC_AUC).value, 0.75, 1e-15);
    /* the only negatives weigh nothing: like scikit-learn, no curve (NaN) */
    static const double no_negatives[] = {0, 0, 1, 1, 0};
    data.weights = no_negatives;
    lathe_metric_value auc = classify(&data, LATHE_METRIC_ROC_AUC);
    CHECK(isnan(auc.value));
    CHECK_HAS(auc.undefined, "nonzero weight");
}

TEST(log_loss_clips_like_scikit_learn_1_2)
{
    static const int32_t truth[] = {0, 1};
    static const double proba[] = {1, 0, 1, 0};
    lathe_classification_data data = {2, 2, truth, NULL, proba, NULL};
    /* the second row's 0 becomes DBL_EPSILON (eps="auto"), the first loses nearly nothing */
    CHECK_NEAR(classify(&data, LATHE_METRIC_LOG_LOSS).value, -log(DBL_EPSILON) / 2, 1e-12);
    static const double unnormalized[] = {0.2, 0.2, 0.1, 0.3};
    data.y_proba = unnormalized; /* rows are renormalized: 0.5 and 0.75 */
    CHECK_NEAR(classify(&data, LATHE_METRIC_LOG_LOSS).value, -(log(0.5) + log(0.75)) / 2, 1e-15);
}

TEST(brier_score_binary_and_multiclass)
{
    static const int32_t truth[] = {0, 1, 1, 0};
    static const double scores[] = {0.1, 0.9, 0.8, 0.3};
    double proba[8];
    binary_proba(scores, 4, proba);
    lathe_classification_data data = {4, 2, truth, NULL, proba, NULL};
    CHECK_NEAR(classify(&data, LATHE_METRIC_BRIER).value, 0.0375, 1e-15);
    static const int32_t three[] = {0, 2};
    static const double proba3[] = {0.5, 0.3, 0.2, 0.1, 0.1, 0.8};
    lathe_classification_data multi = {2, 3, three, NULL, proba3, NULL};
    CHECK_NEAR(classify(&multi, LATHE_METRIC_BRIER).value, (0.38 + 0.06) / 2, 1e-15);
}

/* ---- regression --------------------------------------------------------- */

/* The examples of scikit-learn's regression metrics. */
static const double reg_true[] = {3, -0.5, 2, 7}, reg_pred[] = {2.5, 0.0, 2, 8};

TEST(regression_metrics_match_the_scikit_learn_documentation)
{
    lathe_regression_data data = {4, reg_true, reg_pred, NULL};
    CHECK_NEAR(regress(&data, LATHE_METRIC_MSE), 0.375, 1e-15);
    CHECK_NEAR(regress(&data, LATHE_METRIC_RMSE), sqrt(0.375), 1e-15);
    CHECK_NEAR(regress(&data, LATHE_METRIC_MAE), 0.5, 1e-15);
    CHECK_NEAR(regress(&data, LATHE_METRIC_MEDIAN_AE), 0.5, 1e-15);
    CHECK_NEAR(regress(&data, LATHE_METRIC_MAPE), 0.3273809523809524, 1e-15);
    CHECK_NEAR(regress(&data, LATHE_METRIC_R2), 0.9486081370449679, 1e-15);
    CHECK_NEAR(regress(&data, LATHE_METRIC_EXPLAINED_VARIANCE), 0.9571734475374732, 1e-15);
}

TEST(r2_edge_cases)
{
    static const double tenths[] = {0.1, 0.1, 0.1}, zeros[] = {0, 0, 0};
    /* a constant target: exactly 0 (numpy's mean of tenths is off by an ulp) */
    lathe_regression_data data = {3, tenths, zeros, NULL};
    CHECK_NEAR(regress(&data, LATHE_METRIC_R2), 0.0, 0);
    CHECK_NEAR(regress(&data, LATHE_METRIC_EXPLAINED_VARIANCE), 1.0, 0);
    data.y_pred = tenths;
    CHECK_NEAR(regress(&data, LATHE_METRIC_R2), 1.0, 0);
    data.n_rows = 1;
    lathe_metric_value r2;
    lathe_error err;
    CHECK_OK(lathe_metrics_regression(context(), &data, LATHE_METRIC_R2, &r2, &err), err);
    CHECK(isnan(r2.value));
    CHECK_HAS(r2.undefined, "two rows");
}

TEST(median_absolute_error_with_and_without_weights)
{
    static const double truth[] = {0, 0, 0, 0}, predicted[] = {1, 2, 3, 4};
    lathe_regression_data data = {4, truth, predicted, NULL};
    CHECK_NEAR(regress(&data, LATHE_METRIC_MEDIAN_AE), 2.5, 0);
    /* weighted: the first error whose cumulative weight reaches half (1, 2, 7 of 8) */
    static const double weights[] = {1, 1, 5, 1};
    data.weights = weights;
    CHECK_NEAR(regress(&data, LATHE_METRIC_MEDIAN_AE), 3.0, 0);
}

TEST(mape_guards_zero_targets_with_machine_epsilon)
{
    static const double truth[] = {0, 2}, predicted[] = {1, 1};
    lathe_regression_data data = {2, truth, predicted, NULL};
    CHECK_NEAR(regress(&data, LATHE_METRIC_MAPE), (1 / DBL_EPSILON + 0.5) / 2, 1);
}

/* ---- reports ------------------------------------------------------------ */

TEST(reports_list_what_applies_in_table_order)
{
    lathe_classification_data data = {6, 3, doc_true, doc_pred, NULL, NULL};
    lathe_metrics_report report;
    lathe_error err;
    CHECK_OK(lathe_metrics_report_classification(context(), &data, &report, &err), err);
    CHECK_EQ(report.n_values, 13); /* no probabilities: no roc_auc, pr_auc, log_loss, brier */
    CHECK_STR(report.values[0].name, "accuracy");
    CHECK_STR(report.values[report.n_values - 1].name, "cohen_kappa");
    for (size_t i = 0; i < report.n_values; i++) {
        CHECK(strcmp(report.values[i].name, "roc_auc") != 0);
        CHECK(!isnan(report.values[i].value));
    }
    lathe_regression_data regression = {4, reg_true, reg_pred, NULL};
    CHECK_OK(lathe_metrics_report_regression(context(), &regression, &report, &err), err);
    CHECK_EQ(report.n_values, 7);
    CHECK_STR(report.values[0].name, "rmse");
}

/* ---- bad input ---------------------------------------------------------- */

TEST(bad_input_is_refused_with_a_message)
{
    static const int32_t truth[] = {0, 3}, predicted[] = {0, 1};
    lathe_classification_data data = {2, 2, truth, predicted, NULL, NULL};
    lathe_metric_value value;
    lathe_error err;
    CHECK(lathe_metrics_classification(context(), &data, LATHE_METRIC_ACCURACY, &value, &err) ==
          LATHE_INVALID);
    CHECK_STR(err.message, "y_true at row 1 is class 3, outside the 2 classes 0..1");
    static const int32_t fine[] = {0, 1};
    data.y_true = fine;
    CHECK(lathe_metrics_classification(context(), &data, LATHE_METRIC_ROC_AUC, &value, &err) ==
          LATHE_INVALID);
    CHECK_HAS(err.message, "roc_auc needs class probabilities");
    CHECK(lathe_metrics_classification(context(), &data, LATHE_METRIC_RMSE, &value, &err) ==
          LATHE_INVALID);
    CHECK_STR(err.message, "rmse is a regression metric");
    static const double negative[] = {1, -1};
    data.weights = negative;
    CHECK(lathe_metrics_classification(context(), &data, LATHE_METRIC_ACCURACY, &value, &err) ==
          LATHE_INVALID);
    CHECK_HAS(err.message, "row 1");
    static const double nothing[] = {0, 0};
    data.weights = nothing;
    CHECK(lathe_metrics_classification(context(), &data, LATHE_METRIC_ACCURACY, &value, &err) ==
          LATHE_INVALID);
    CHECK_STR(err.message, "sample weights sum to zero");
    static const double truth_values[] = {1, NAN};
    lathe_regression_data regression = {2, truth_values, truth_values, NULL};
    CHECK(lathe_metrics_regression(context(), &regression, LATHE_METRIC_MAE, &value, &err) ==
          LATHE_INVALID);
    CHECK_STR(err.message, "y_true at row 1 is nan, not a finite number");
    regression.n_rows = 0;
    CHECK(lathe_metrics_regression(context(), &regression, LATHE_METRIC_MAE, &value, &err) ==
          LATHE_INVALID);
    CHECK_STR(err.message, "no rows to score");
}

/* ---- bootstrap ---------------------------------------------------------- */

#define BOOT_ROWS 400

/* 320 of 400 right: accuracy 0.8, standard error sqrt(0.8 * 0.2 / 400) = 0.02. */
static void eighty_percent_right(int32_t *truth, int32_t *predicted)
{
    for (int i = 0; i < BOOT_ROWS; i++) {
        truth[i] = i % 2;
        predicted[i] = i % 5 == 0 ? 1 - truth[i] : truth[i];
    }
}

TEST(bootstrap_intervals_are_seeded_and_about_the_normal_width)
{
    int32_t truth[BOOT_ROWS], predicted[BOOT_ROWS];
    eighty_percent_right(truth, predicted);
    lathe_classification_data data = {BOOT_ROWS, 2, truth, predicted, NULL, NULL};
    lathe_bootstrap_options options = {1000, 0.95, 17};
    lathe_interval first, again, other;
    lathe_error err;
    CHECK_OK(lathe_metrics_bootstrap_classification(context(), &data, LATHE_METRIC_ACCURACY,
                                                    &options, &first, &err),
             err);
    CHECK_OK(lathe_metrics_bootstrap_classification(context(), &data, LATHE_METRIC_ACCURACY,
                                                    &options, &again, &err),
             err);
    options.seed = 18;
    CHECK_OK(lathe_metrics_bootstrap_classification(context(), &data, LATHE_METRIC_ACCURACY,
                                                    &options, &other, &err),
             err);
    CHECK(first.lower == again.lower && first.upper == again.upper);
    CHECK(first.lower != other.lower || first.upper != other.upper);
    CHECK_NEAR(first.estimate, 0.8, 1e-15);
    CHECK_EQ(first.n_defined, 1000);
    /* the normal interval is 0.8 +- 1.96 * 0.02 = [0.761, 0.839] */
    CHECK_NEAR(first.lower, 0.761, 0.012);
    CHECK_NEAR(first.upper, 0.839, 0.012);
}

TEST(bootstrap_skips_resamples_where_the_metric_is_undefined)
{
    /* one positive row in 20: about 36% of resamples miss it and have no roc_auc */
    int32_t truth[20] = {0};
    double proba[40];
    truth[7] = 1;
    for (int i = 0; i < 20; i++) {
        proba[2 * i + 1] = i == 7 ? 0.9 : 0.01 * i;
        proba[2 * i] = 1 - proba[2 * i + 1];
    }
    lathe_classification_data data = {20, 2, truth, NULL, proba, NULL};
    lathe_bootstrap_options options = {500, 0.9, 1};
    lathe_interval interval;
    lathe_error err;
    CHECK_OK(lathe_metrics_bootstrap_classification(context(), &data, LATHE_METRIC_ROC_AUC,
                                                    &options, &interval, &err),
             err);
    CHECK(interval.n_defined > 250 && interval.n_defined < 400);
    CHECK_NEAR(interval.estimate, 1.0, 0);
    CHECK_NEAR(interval.upper, 1.0, 0);
}

static lathe_status mean_of_row_numbers(void *user, const size_t *rows, size_t n_rows,
                                        double *value, lathe_error *err)
{
    (void)user;
    (void)err;
    double sum = 0;
    for (size_t i = 0; i < n_rows; i++)
        sum += (double)rows[i];
    *value = sum / (double)n_rows;
    return LATHE_OK;
}

TEST(the_generic_bootstrap_takes_any_statistic)
{
    /* rows 0..99: mean 49.5, standard error of the mean sqrt(833.25 / 100) = 2.887 */
    lathe_bootstrap_options options = {2000, 0.9, 5};
    lathe_interval interval;
    lathe_error err;
    CHECK_OK(lathe_metrics_bootstrap(context(), 100, mean_of_row_numbers, NULL, &options, &interval,
                                     &err),
             err);
    CHECK_NEAR(interval.estimate, 49.5, 1e-12);
    CHECK_NEAR(interval.lower, 49.5 - 1.645 * 2.887, 0.6);
    CHECK_NEAR(interval.upper, 49.5 + 1.645 * 2.887, 0.6);
    options.confidence = 1;
    CHECK(lathe_metrics_bootstrap(context(), 100, mean_of_row_numbers, NULL, &options, &interval,
                                  &err) == LATHE_INVALID);
}

static int cancel_at_ten(void *user, const char *stage, double done, double total)
{
    (void)user;
    (void)stage;
    (void)total;
    return done >= 10;
}

TEST(a_bootstrap_can_be_canceled)
{
    lathe_ctx *canceling = lathe_ctx_new();
    lathe_ctx_set_progress(canceling, cancel_at_ten, NULL);
    lathe_bootstrap_options options = {1000, 0.9, 5};
    lathe_interval interval = {0};
    lathe_error err;
    lathe_status status = lathe_metrics_bootstrap(canceling, 100, mean_of_row_numbers, NULL,
                                                  &options, &interval, &err);
    lathe_ctx_free(canceling);
    CHECK(status == LATHE_CANCELED);
    CHECK(interval.estimate == 0); /* outputs untouched */
}

TEST(regression_bootstrap)
{
    lathe_regression_data data = {4, reg_true, reg_pred, NULL};
    lathe_bootstrap_options options = {200, 0.8, 2};
    lathe_interval interval;
    lathe_error err;
    CHECK_OK(lathe_metrics_bootstrap_regression(context(), &data, LATHE_METRIC_MAE, &options,
                                                &interval, &err),
             err);
    CHECK_NEAR(interval.estimate, 0.5, 1e-15);
    /* absolute errors are 0, 0.5, 0.5, 1: every resampled mean lies in [0, 1] */
    CHECK(interval.lower >= 0 && interval.lower <= 0.5);
    CHECK(interval.upper >= 0.5 && interval.upper <= 1);
    CHECK_EQ(interval.n_defined, 200);
}
