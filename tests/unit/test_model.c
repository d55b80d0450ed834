/*
 * test_model.c: training, saving and loading whole models.
 *
 * The promise checked here: a model loaded from its artifact predicts bit
 * for bit what the model predicted in the process that trained it, on every
 * real dataset in tests/data; and an artifact with any byte changed either
 * fails to load with a message or (where the byte was slack) predicts the
 * same. Large datasets are cut to their first rows to keep the test quick
 * under the sanitizers; every column and kind is still exercised.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "lathe/lathe.h"

#define MAX_ROWS 3000

static lathe_ctx *ctx;

static void free_ctx(void)
{
    lathe_ctx_free(ctx);
}

static lathe_ctx *context(void)
{
    if (!ctx) {
        ctx = lathe_ctx_new();
        lathe_ctx_set_seed(ctx, 42);
        atexit(free_ctx);
    }
    return ctx;
}

/* The file's first MAX_ROWS rows. */
static lathe_frame *load(const char *path)
{
    lathe_frame *all, *head;
    lathe_error err;
    if (lathe_read(context(), path, NULL, &all, &err) != LATHE_OK) {
        fprintf(stderr, "%s\n", err.message);
        return NULL;
    }
    size_t n = lathe_frame_n_rows(all) < MAX_ROWS ? lathe_frame_n_rows(all) : MAX_ROWS;
    size_t *rows = malloc(n * sizeof *rows);
    for (size_t r = 0; r < n; r++)
        rows[r] = r;
    lathe_status status = lathe_frame_take(all, rows, n, &head, &err);
    free(rows);
    lathe_frame_free(all);
    return status == LATHE_OK ? head : NULL;
}

static size_t width(const lathe_model *model)
{
    size_t n = lathe_model_n_classes(model);
    return n ? n : 1;
}

static double *predict(const lathe_model *model, const lathe_frame *frame)
{
    size_t n = lathe_frame_n_rows(frame) * width(model);
    double *out = calloc(n, sizeof *out);
    int32_t *labels = calloc(lathe_frame_n_rows(frame), sizeof *labels);
    lathe_error err;
    if (lathe_model_predict(model, frame, out, labels, &err) != LATHE_OK) {
        fprintf(stderr, "predict: %s\n", err.message);
        free(out);
        out = NULL;
    }
    free(labels);
    return out;
}

static char *temp_path(const char *name)
{
    static char path[256];
    snprintf(path, sizeof path, "/tmp/lathe-test-model-%d-%s.lathe", (int)getpid(), name);
    return path;
}

static void round_trip(const char *path, const char *target)
{
    lathe_frame *frame = load(path);
    CHECK(frame);
    lathe_train_options options;
    lathe_train_options_init(&options);
    options.target = target;
    lathe_model *model, *loaded;
    lathe_error err;
    CHECK_OK(lathe_train(context(), frame, &options, &model, &err), err);
    char *artifact = temp_path(target);
    CHECK_OK(lathe_model_save(model, artifact, &err), err);
    CHECK_OK(lathe_model_load(context(), artifact, &loaded, &err), err);
    unlink(artifact);
    double *before = predict(model, frame), *after = predict(loaded, frame);
    CHECK(before && after);
    size_t n = lathe_frame_n_rows(frame) * width(model);
    CHECK_MSG(memcmp(before, after, n * sizeof *before) == 0,
              "%s: loaded predictions differ from in-process ones", path);
    CHECK_EQ(lathe_model_n_classes(loaded), lathe_model_n_classes(model));
    CHECK_EQ(lathe_model_test_metrics(loaded)->n_values, lathe_model_test_metrics(model)->n_values);
    free(before);
    free(after);
    lathe_model_free(model);
    lathe_model_free(loaded);
    lathe_frame_free(frame);
}

TEST(loaded_models_predict_bit_for_bit)
{
    round_trip("data/spam.csv", "type");
    round_trip("data/pima_diabetes2.csv", "diabetes");
    round_trip("data/shuttle.csv", "Class");
    round_trip("data/diamonds.csv", "price");
    round_trip("data/income.csv", "INCOME");
    round_trip("data/credit-g.arff", "class");
}

static unsigned char *read_all(const char *path, size_t *size)
{
    FILE *file = fopen(path, "rb");
    if (!file)
        return NULL;
    fseek(file, 0, SEEK_END);
    *size = (size_t)ftell(file);
    fseek(file, 0, SEEK_SET);
    unsigned char *data = malloc(*size);
    if (fread(data, 1, *size, file) != *size) {
        free(data);
        data = NULL;
    }
    fclose(file);
    return data;
}

TEST(flipped_bytes_never_load_silently_wrong)
{
    lathe_frame *frame = load("data/pima_diabetes2.csv");
    CHECK(frame);
    lathe_train_options options;
    lathe_train_options_init(&options);
    options.target = "diabetes";
    lathe_model *model;
    lathe_error err;
    CHECK_OK(lathe_train(context(), frame, &options, &model, &err), err);
    char *path = temp_path("flip");
    CHECK_OK(lathe_model_save(model, path, &err), err);
    size_t size;
    unsigned char *bytes = read_all(path, &size);
    unlink(path);
    CHECK(bytes);
    double *expected = predict(model, frame);
    uint64_t state = 12345;
    size_t failed = 0, same = 0;
    for (int trial = 0; trial < 1000; trial++) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t at = (size_t)(state >> 33) % size;
        unsigned char flip = (unsigned char)(1u << ((state >> 20) & 7));
        bytes[at] ^= flip;
        lathe_model *loaded = NULL;
        if (lathe_model_load_buffer(context(), bytes, size, "flipped.lathe", &loaded, &err) !=
            LATHE_OK) {
            CHECK_MSG(err.message[0] != '\0', "a failed load must say why");
            failed++;
        } else {
            double *got = predict(loaded, frame);
            CHECK_MSG(
                got && memcmp(got, expected, lathe_frame_n_rows(frame) * 2 * sizeof(double)) == 0,
                "byte %zu flipped: the model loaded but predicts differently", at);
            free(got);
            same++;
            lathe_model_free(loaded);
        }
        bytes[at] ^= flip;
    }
    CHECK_EQ(failed + same, 1000);
    free(expected);
    free(bytes);
    lathe_model_free(model);
    lathe_frame_free(frame);
}

TEST(training_errors_say_what_to_fix)
{
    lathe_frame *frame = load("data/pima_diabetes2.csv");
    CHECK(frame);
    lathe_train_options options;
    lathe_train_options_init(&options);
    lathe_model *model = NULL;
    lathe_error err;
    options.target = "diabetse";
    CHECK_EQ(lathe_train(context(), frame, &options, &model, &err), LATHE_NOT_FOUND);
    CHECK_STR(err.message, "target column \"diabetse\" is not in the data");
    options.target = "diabetes";
    options.model = "logistc";
    CHECK_EQ(lathe_train(context(), frame, &options, &model, &err), LATHE_NOT_FOUND);
    CHECK_HAS(err.message, "unknown model \"logistc\" (did you mean \"logistic\"?");
    options.model = "ridge";
    CHECK_EQ(lathe_train(context(), frame, &options, &model, &err), LATHE_INVALID);
    CHECK_HAS(err.message, "ridge predicts numbers, but target \"diabetes\" is categorical");
    CHECK(model == NULL);
    lathe_frame_free(frame);
}

TEST(same_seed_same_model)
{
    lathe_frame *frame = load("data/spam.csv");
    CHECK(frame);
    lathe_train_options options;
    lathe_train_options_init(&options);
    options.target = "type";
    lathe_model *a, *b;
    lathe_error err;
    CHECK_OK(lathe_train(context(), frame, &options, &a, &err), err);
    CHECK_OK(lathe_train(context(), frame, &options, &b, &err), err);
    double *pa = predict(a, frame), *pb = predict(b, frame);
    CHECK(pa && pb);
    CHECK(memcmp(pa, pb, lathe_frame_n_rows(frame) * 2 * sizeof(double)) == 0);
    free(pa);
    free(pb);
    lathe_model_free(a);
    lathe_model_free(b);
    lathe_frame_free(frame);
}
