/*
 * test_buf.c: the serialization buffers. The byte layout is checked against
 * hand-written little-endian encodings, every type round-trips (doubles bit
 * for bit, NaN payloads included), every truncation of a written buffer
 * fails cleanly, and hostile counts are refused before anything is
 * allocated (a counting allocator watches).
 */
#include <float.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/buf.h"
#include "core/internal.h"
#include "harness.h"

/* ---- an allocator that counts, and can be told to fail ---- */

static struct {
    size_t n_allocations;
    size_t largest;
    long fail_after; /* allocations left before failing; -1 never fails */
} watch;

static void *watched_malloc(void *user, size_t size)
{
    (void)user;
    if (watch.fail_after == 0)
        return NULL;
    if (watch.fail_after > 0)
        watch.fail_after--;
    watch.n_allocations++;
    if (size > watch.largest)
        watch.largest = size;
    return malloc(size);
}

static void *watched_realloc(void *user, void *ptr, size_t size)
{
    if (!ptr)
        return watched_malloc(user, size);
    if (watch.fail_after == 0)
        return NULL;
    if (size > watch.largest)
        watch.largest = size;
    return realloc(ptr, size);
}

static void watched_free(void *user, void *ptr)
{
    (void)user;
    free(ptr);
}

static lathe_ctx *watched_ctx(void)
{
    lathe_allocator allocator = {watched_malloc, watched_realloc, watched_free, NULL};
    watch.fail_after = -1;
    lathe_ctx *ctx = lathe_ctx_new_with_allocator(&allocator);
    watch.n_allocations = 0;
    watch.largest = 0;
    return ctx;
}

static uint64_t bits_of(double value)
{
    uint64_t bits;
    memcpy(&bits, &value, sizeof bits);
    return bits;
}

static double double_of(uint64_t bits)
{
    double value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

/* ---- the encoding itself ---- */

TEST(integers_are_little_endian_on_the_wire)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe__wbuf buf;
    lathe__wbuf_init(&buf, ctx);
    lathe__wbuf_u8(&buf, 0xab);
    lathe__wbuf_u32(&buf, 0x01020304u);
    lathe__wbuf_u64(&buf, 0x1122334455667788ull);
    lathe__wbuf_i64(&buf, -2);
    lathe__wbuf_cstring(&buf, "hi");
    lathe__wbuf_f64(&buf, 1.0);
    static const unsigned char expected[] = {
        0xab,                                           /* u8 */
        0x04, 0x03, 0x02, 0x01,                         /* u32 */
        0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, /* u64 */
        0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* i64 -2 */
        0x02, 0,    0,    0,    0,    0,    0,    0,    /* string length */
        'h',  'i',                                      /* string bytes */
        0,    0,    0,    0,    0,    0,    0xf0, 0x3f, /* 1.0 */
    };
    lathe_error err;
    lathe_status status = lathe__wbuf_status(&buf, &err);
    int same = buf.length == sizeof expected && memcmp(buf.data, expected, sizeof expected) == 0;
    lathe__wbuf_release(&buf);
    lathe_ctx_free(ctx);
    CHECK_EQ(status, LATHE_OK);
    CHECK(same);
}

TEST(arrays_are_a_count_then_the_elements)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe__wbuf buf;
    lathe__wbuf_init(&buf, ctx);
    int32_t ints[] = {-1, 258};
    lathe__wbuf_i32_array(&buf, ints, 2);
    static const unsigned char expected[] = {2,    0,    0,    0,    0, 0, 0, 0,
                                             0xff, 0xff, 0xff, 0xff, 2, 1, 0, 0};
    int same = buf.length == sizeof expected && memcmp(buf.data, expected, sizeof expected) == 0;
    lathe__wbuf_release(&buf);
    lathe_ctx_free(ctx);
    CHECK(same);
}

/* ---- round trips ---- */

/* Writes one of every field kind; read_everything reads them back in order. */
static void write_everything(lathe__wbuf *buf)
{
    static const double doubles[] = {0.5, -3.25, 1e300, 5e-324};
    static const int32_t ints[] = {0, 1, -1, INT32_MAX, INT32_MIN, 123456};
    lathe__wbuf_u8(buf, 0);
    lathe__wbuf_u8(buf, 255);
    lathe__wbuf_u32(buf, 0xdeadbeefu);
    lathe__wbuf_u64(buf, UINT64_MAX);
    lathe__wbuf_i64(buf, INT64_MIN);
    lathe__wbuf_i64(buf, INT64_MAX);
    lathe__wbuf_f64(buf, 3.141592653589793);
    lathe__wbuf_string(buf, "a\xc3\xa9z", 4);
    lathe__wbuf_cstring(buf, "");
    lathe__wbuf_bytes(buf, "RAW", 3);
    lathe__wbuf_f64_array(buf, doubles, 4);
    lathe__wbuf_i32_array(buf, ints, 6);
    lathe__wbuf_f64_array(buf, NULL, 0);
}

/* Reads write_everything's fields; returns how many came back equal. */
static int read_everything(lathe__rbuf *buf, lathe_ctx *ctx)
{
    int equal = 0;
    equal += lathe__rbuf_u8(buf) == 0;
    equal += lathe__rbuf_u8(buf) == 255;
    equal += lathe__rbuf_u32(buf) == 0xdeadbeefu;
    equal += lathe__rbuf_u64(buf) == UINT64_MAX;
    equal += lathe__rbuf_i64(buf) == INT64_MIN;
    equal += lathe__rbuf_i64(buf) == INT64_MAX;
    equal += lathe__rbuf_f64(buf) == 3.141592653589793;
    char *text = lathe__rbuf_string(buf, ctx, 100);
    equal += text && strcmp(text, "a\xc3\xa9z") == 0;
    lathe__free(ctx, text);
    char *empty = lathe__rbuf_string(buf, ctx, 100);
    equal += empty && empty[0] == '\0';
    lathe__free(ctx, empty);
    const char *raw = lathe__rbuf_bytes(buf, 3);
    equal += raw && memcmp(raw, "RAW", 3) == 0;
    size_t n_doubles, n_ints, n_none;
    double *doubles = lathe__rbuf_f64_array(buf, ctx, 100, &n_doubles);
    equal += doubles && n_doubles == 4 && doubles[0] == 0.5 && doubles[1] == -3.25 &&
             doubles[2] == 1e300 && doubles[3] == 5e-324;
    lathe__free(ctx, doubles);
    int32_t *ints = lathe__rbuf_i32_array(buf, ctx, 100, &n_ints);
    equal += ints && n_ints == 6 && ints[0] == 0 && ints[1] == 1 && ints[2] == -1 &&
             ints[3] == INT32_MAX && ints[4] == INT32_MIN && ints[5] == 123456;
    lathe__free(ctx, ints);
    double *none = lathe__rbuf_f64_array(buf, ctx, 100, &n_none);
    equal += none != NULL && n_none == 0;
    lathe__free(ctx, none);
    return equal;
}

enum { N_FIELDS = 13 };

TEST(every_type_round_trips)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe__wbuf out;
    lathe__wbuf_init(&out, ctx);
    write_everything(&out);
    lathe_error err;
    CHECK_OK(lathe__wbuf_status(&out, &err), err);
    lathe__rbuf in;
    lathe__rbuf_init(&in, out.data, out.length, "everything");
    int equal = read_everything(&in, ctx);
    lathe_status status = lathe__rbuf_status(&in, &err);
    size_t left = lathe__rbuf_left(&in);
    lathe__wbuf_release(&out);
    lathe_ctx_free(ctx);
    CHECK_MSG(status == LATHE_OK, "%s", err.message);
    CHECK_EQ(equal, N_FIELDS);
    CHECK_EQ(left, 0);
}

TEST(special_doubles_round_trip_bit_for_bit)
{
    static const uint64_t patterns[] = {
        0x7ff8000000000000ull, /* quiet NaN */
        0x7ff8000000000123ull, /* quiet NaN with a payload */
        0xfff8000000000000ull, /* negative NaN */
        0x7ff0000000000001ull, /* signalling NaN */
        0x8000000000000000ull, /* -0.0 */
        0x7ff0000000000000ull, /* +inf */
        0xfff0000000000000ull, /* -inf */
        0x0000000000000001ull, /* smallest subnormal */
        0x7fefffffffffffffull, /* DBL_MAX */
    };
    enum { N = sizeof patterns / sizeof patterns[0] };
    double values[N];
    for (size_t i = 0; i < N; i++)
        values[i] = double_of(patterns[i]);
    lathe_ctx *ctx = lathe_ctx_new();
    lathe__wbuf out;
    lathe__wbuf_init(&out, ctx);
    for (size_t i = 0; i < N; i++)
        lathe__wbuf_f64(&out, values[i]);
    lathe__wbuf_f64_array(&out, values, N);
    lathe__rbuf in;
    lathe__rbuf_init(&in, out.data, out.length, "doubles");
    size_t mismatches = 0, count = 0;
    for (size_t i = 0; i < N; i++)
        mismatches += bits_of(lathe__rbuf_f64(&in)) != patterns[i];
    double *array = lathe__rbuf_f64_array(&in, ctx, N, &count);
    for (size_t i = 0; array && i < count; i++)
        mismatches += bits_of(array[i]) != patterns[i];
    lathe_error err;
    lathe_status status = lathe__rbuf_status(&in, &err);
    lathe__free(ctx, array);
    lathe__wbuf_release(&out);
    lathe_ctx_free(ctx);
    CHECK_EQ(status, LATHE_OK);
    CHECK_EQ(count, N);
    CHECK_EQ(mismatches, 0);
}

/* ---- hostile input ---- */

TEST(truncation_at_every_byte_fails_cleanly)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe__wbuf out;
    lathe__wbuf_init(&out, ctx);
    write_everything(&out);
    size_t bad = 0;
    for (size_t cut = 0; cut < out.length; cut++) {
        /* A copy of exactly `cut` bytes, so ASan sees any read past it. */
        unsigned char *copy = malloc(cut ? cut : 1);
        memcpy(copy, out.data, cut);
        lathe__rbuf in;
        lathe__rbuf_init(&in, copy, cut, "cut");
        (void)read_everything(&in, ctx);
        lathe_error err;
        lathe_status status = lathe__rbuf_status(&in, &err);
        bool fails_cleanly = status == LATHE_CORRUPT && strncmp(err.message, "cut: ", 5) == 0 &&
                             strstr(err.message, "truncated") && in.offset <= cut;
        if (!fails_cleanly) {
            fprintf(stderr, "  cut at %zu: status %d, \"%s\"\n", cut, (int)status, err.message);
            bad++;
        }
        free(copy);
    }
    lathe__wbuf_release(&out);
    lathe_ctx_free(ctx);
    CHECK_EQ(bad, 0);
}

TEST(truncation_message_names_the_data_and_the_byte)
{
    static const unsigned char data[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    lathe__rbuf in;
    lathe__rbuf_init(&in, data, sizeof data, "model section");
    (void)lathe__rbuf_u64(&in);
    uint64_t second = lathe__rbuf_u64(&in);
    uint32_t after = lathe__rbuf_u32(&in); /* the failure sticks */
    lathe_error err;
    CHECK_EQ(lathe__rbuf_status(&in, &err), LATHE_CORRUPT);
    CHECK_EQ(second, 0);
    CHECK_EQ(after, 0);
    CHECK_EQ(lathe__rbuf_left(&in), 0);
    CHECK_STR(err.message, "model section: truncated (8 bytes needed, 3 left) at byte 8");
}

/* A buffer holding a u64 count and then `extra` bytes of zeros. */
static size_t count_then_zeros(unsigned char *out, uint64_t count, size_t extra)
{
    for (int i = 0; i < 8; i++)
        out[i] = (unsigned char)(count >> (8 * i));
    memset(out + 8, 0, extra);
    return 8 + extra;
}

TEST(huge_counts_are_refused_without_allocating)
{
    static const uint64_t counts[] = {UINT64_MAX, 1ull << 61, (1ull << 61) + 1, 1ull << 40, 33};
    lathe_ctx *ctx = watched_ctx();
    size_t accepted = 0;
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        unsigned char data[8 + 32];
        size_t length = count_then_zeros(data, counts[i], 32); /* room for 4 doubles, 8 ints */
        lathe__rbuf in;
        size_t n = 1;
        lathe__rbuf_init(&in, data, length, "hostile");
        double *doubles = lathe__rbuf_f64_array(&in, ctx, SIZE_MAX, &n);
        accepted += doubles != NULL || n != 0 || in.offset != 0;
        lathe__rbuf_init(&in, data, length, "hostile");
        int32_t *ints = lathe__rbuf_i32_array(&in, ctx, SIZE_MAX, &n);
        accepted += ints != NULL || n != 0;
        lathe__rbuf_init(&in, data, length, "hostile");
        char *text = lathe__rbuf_string(&in, ctx, SIZE_MAX);
        accepted += text != NULL;
    }
    size_t n_allocations = watch.n_allocations;
    lathe_ctx_free(ctx);
    CHECK_EQ(accepted, 0);
    CHECK_EQ(n_allocations, 0);
}

TEST(count_messages_say_which_limit)
{
    unsigned char data[8 + 32];
    lathe_error err;
    lathe__rbuf in;
    lathe__rbuf_init(&in, data, count_then_zeros(data, 5, 32), "weights");
    CHECK_EQ(lathe__rbuf_count(&in, 4, 1), 0);
    CHECK_EQ(lathe__rbuf_status(&in, &err), LATHE_CORRUPT);
    CHECK_STR(err.message, "weights: count 5 is over the limit of 4 at byte 0");

    lathe__rbuf_init(&in, data, count_then_zeros(data, 5, 32), "weights");
    CHECK_EQ(lathe__rbuf_count(&in, 100, 8), 0);
    CHECK_EQ(lathe__rbuf_status(&in, &err), LATHE_CORRUPT);
    CHECK_STR(err.message,
              "weights: truncated (count 5 needs more than the 32 bytes left) at byte 0");

    /* 2^61 + 1 eight-byte elements overflow size_t: refused, not wrapped. */
    lathe__rbuf_init(&in, data, count_then_zeros(data, (1ull << 61) + 1, 32), "weights");
    CHECK_EQ(lathe__rbuf_count(&in, SIZE_MAX, 8), 0);
    CHECK_EQ(lathe__rbuf_status(&in, &err), LATHE_CORRUPT);

    /* Exactly fitting counts pass, at the limit too. */
    lathe__rbuf_init(&in, data, count_then_zeros(data, 4, 32), "weights");
    CHECK_EQ(lathe__rbuf_count(&in, 4, 8), 4);
    CHECK_EQ(lathe__rbuf_status(&in, &err), LATHE_OK);
    CHECK_EQ(lathe__rbuf_left(&in), 32);
}

TEST(string_with_nul_or_over_limit_is_refused)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe__wbuf out;
    lathe__wbuf_init(&out, ctx);
    lathe__wbuf_string(&out, "a\0b", 3);
    lathe__wbuf_cstring(&out, "abcdef");
    lathe__rbuf in;
    lathe__rbuf_init(&in, out.data, out.length, "names");
    char *with_nul = lathe__rbuf_string(&in, ctx, 100);
    lathe_error nul_err;
    lathe_status nul_status = lathe__rbuf_status(&in, &nul_err);
    lathe__rbuf_init(&in, out.data + 11, out.length - 11, "names");
    char *too_long = lathe__rbuf_string(&in, ctx, 5);
    lathe_error long_err;
    lathe_status long_status = lathe__rbuf_status(&in, &long_err);
    lathe__wbuf_release(&out);
    lathe_ctx_free(ctx);
    CHECK(with_nul == NULL);
    CHECK_EQ(nul_status, LATHE_CORRUPT);
    CHECK_STR(nul_err.message, "names: string holds a NUL byte at byte 0");
    CHECK(too_long == NULL);
    CHECK_EQ(long_status, LATHE_CORRUPT);
    CHECK_STR(long_err.message, "names: count 6 is over the limit of 5 at byte 0");
}

TEST(caller_checks_fail_with_their_reason_and_the_first_one_sticks)
{
    static const unsigned char data[] = {7, 0, 0, 0, 9, 0, 0, 0};
    lathe__rbuf in;
    lathe__rbuf_init(&in, data, sizeof data, NULL);
    uint32_t n_classes = lathe__rbuf_u32(&in);
    if (n_classes > 5)
        lathe__rbuf_fail(&in, "%u classes is more than the %d allowed", (unsigned)n_classes, 5);
    lathe__rbuf_fail(&in, "a second problem");
    uint32_t next = lathe__rbuf_u32(&in);
    lathe_error err;
    CHECK_EQ(lathe__rbuf_status(&in, &err), LATHE_CORRUPT);
    CHECK_EQ(next, 0);
    CHECK_STR(err.message, "data: 7 classes is more than the 5 allowed at byte 4");
}

TEST(failed_allocations_are_reported_as_out_of_memory)
{
    lathe_ctx *ctx = watched_ctx();
    lathe__wbuf out;
    lathe__wbuf_init(&out, ctx);
    watch.fail_after = 0;
    lathe__wbuf_u64(&out, 42);
    lathe__wbuf_cstring(&out, "ignored once failed");
    lathe_error err;
    lathe_status write_status = lathe__wbuf_status(&out, &err);
    lathe__wbuf_release(&out);

    watch.fail_after = -1;
    double values[3] = {1, 2, 3};
    lathe__wbuf_init(&out, ctx);
    lathe__wbuf_f64_array(&out, values, 3);
    watch.fail_after = 0;
    lathe__rbuf in;
    size_t count = 9;
    lathe__rbuf_init(&in, out.data, out.length, "model");
    double *read = lathe__rbuf_f64_array(&in, ctx, 3, &count);
    lathe_error read_err;
    lathe_status read_status = lathe__rbuf_status(&in, &read_err);
    watch.fail_after = -1;
    lathe__wbuf_release(&out);
    lathe_ctx_free(ctx);
    CHECK_EQ(write_status, LATHE_NOMEM);
    CHECK_HAS(err.message, "out of memory");
    CHECK(read == NULL);
    CHECK_EQ(count, 0);
    CHECK_EQ(read_status, LATHE_NOMEM);
    CHECK_HAS(read_err.message, "model: out of memory");
}

TEST(zero_length_reads_succeed_on_an_empty_buffer)
{
    lathe__rbuf in;
    lathe__rbuf_init(&in, NULL, 0, "empty");
    const void *nothing = lathe__rbuf_bytes(&in, 0);
    lathe_error err;
    CHECK(nothing != NULL);
    CHECK_EQ(lathe__rbuf_status(&in, &err), LATHE_OK);
    (void)lathe__rbuf_u8(&in);
    CHECK_EQ(lathe__rbuf_status(&in, &err), LATHE_CORRUPT);
    CHECK_STR(err.message, "empty: truncated (1 byte needed, 0 left) at byte 0");
}
