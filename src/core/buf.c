/*
 * buf.c: the write and read buffers behind every save and load.
 *
 * Bytes are assembled and taken apart one at a time, so the encoding is
 * little-endian whatever the host (compilers fuse the loops into single
 * loads and stores). Doubles travel as their 64-bit patterns through
 * memcpy, so NaN payloads, -0.0 and infinities come back bit for bit.
 *
 * The read side never trusts a count: lathe__rbuf_count checks it against
 * the caller's limit and against the bytes actually left before anything
 * is allocated, so a 20-byte input cannot ask for a terabyte. After the
 * first failure every read returns zero and leaves the cursor where the
 * failure happened, which is the byte the message points at.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/internal.h"

#include "core/banned.h"

static void put_le32(unsigned char *out, uint32_t value)
{
    for (int i = 0; i < 4; i++)
        out[i] = (unsigned char)(value >> (8 * i));
}

static void put_le64(unsigned char *out, uint64_t value)
{
    for (int i = 0; i < 8; i++)
        out[i] = (unsigned char)(value >> (8 * i));
}

static uint32_t get_le32(const unsigned char *in)
{
    uint32_t value = 0;
    for (int i = 0; i < 4; i++)
        value |= (uint32_t)in[i] << (8 * i);
    return value;
}

static uint64_t get_le64(const unsigned char *in)
{
    uint64_t value = 0;
    for (int i = 0; i < 8; i++)
        value |= (uint64_t)in[i] << (8 * i);
    return value;
}

/* ---- writing ---- */

void lathe__wbuf_init(lathe__wbuf *buf, lathe_ctx *ctx)
{
    buf->ctx = ctx;
    buf->data = NULL;
    buf->length = 0;
    buf->capacity = 0;
    buf->failed = false;
}

void lathe__wbuf_release(lathe__wbuf *buf)
{
    lathe__free(buf->ctx, buf->data);
    lathe__wbuf_init(buf, buf->ctx);
}

/* Room for `extra` more bytes at the end; NULL (and failed) if there is none. */
static unsigned char *wbuf_reserve(lathe__wbuf *buf, size_t extra)
{
    size_t need;
    if (buf->failed)
        return NULL;
    if (lathe__add_overflows(buf->length, extra, &need) ||
        !lathe__grow(buf->ctx, (void **)&buf->data, &buf->capacity, need, 1)) {
        buf->failed = true;
        return NULL;
    }
    unsigned char *at = buf->data + buf->length;
    buf->length = need;
    return at;
}

void lathe__wbuf_bytes(lathe__wbuf *buf, const void *data, size_t length)
{
    unsigned char *at = wbuf_reserve(buf, length);
    if (at && length)
        memcpy(at, data, length);
}

void lathe__wbuf_u8(lathe__wbuf *buf, uint8_t value)
{
    unsigned char *at = wbuf_reserve(buf, 1);
    if (at)
        at[0] = value;
}

void lathe__wbuf_u32(lathe__wbuf *buf, uint32_t value)
{
    unsigned char *at = wbuf_reserve(buf, 4);
    if (at)
        put_le32(at, value);
}

void lathe__wbuf_u64(lathe__wbuf *buf, uint64_t value)
{
    unsigned char *at = wbuf_reserve(buf, 8);
    if (at)
        put_le64(at, value);
}

void lathe__wbuf_i64(lathe__wbuf *buf, int64_t value)
{
    uint64_t bits;
    memcpy(&bits, &value, sizeof bits);
    lathe__wbuf_u64(buf, bits);
}

void lathe__wbuf_f64(lathe__wbuf *buf, double value)
{
    uint64_t bits;
    memcpy(&bits, &value, sizeof bits);
    lathe__wbuf_u64(buf, bits);
}

void lathe__wbuf_string(lathe__wbuf *buf, const char *text, size_t length)
{
    lathe__wbuf_u64(buf, length);
    lathe__wbuf_bytes(buf, text, length);
}

void lathe__wbuf_cstring(lathe__wbuf *buf, const char *text)
{
    lathe__wbuf_string(buf, text, strlen(text));
}

/* Room for `count` elements of `element_size` bytes, or NULL (and failed). */
static unsigned char *wbuf_reserve_array(lathe__wbuf *buf, size_t count, size_t element_size)
{
    size_t bytes;
    if (lathe__mul_overflows(count, element_size, &bytes)) {
        buf->failed = true;
        return NULL;
    }
    return wbuf_reserve(buf, bytes);
}

void lathe__wbuf_f64_array(lathe__wbuf *buf, const double *values, size_t count)
{
    lathe__wbuf_u64(buf, count);
    unsigned char *at = wbuf_reserve_array(buf, count, 8);
    if (!at)
        return;
    for (size_t i = 0; i < count; i++) {
        uint64_t bits;
        memcpy(&bits, &values[i], sizeof bits);
        put_le64(at + 8 * i, bits);
    }
}

void lathe__wbuf_i32_array(lathe__wbuf *buf, const int32_t *values, size_t count)
{
    lathe__wbuf_u64(buf, count);
    unsigned char *at = wbuf_reserve_array(buf, count, 4);
    if (!at)
        return;
    for (size_t i = 0; i < count; i++) {
        uint32_t bits;
        memcpy(&bits, &values[i], sizeof bits);
        put_le32(at + 4 * i, bits);
    }
}

lathe_status lathe__wbuf_status(const lathe__wbuf *buf, lathe_error *err)
{
    if (!buf->failed)
        return LATHE_OK;
    return lathe__error(err, LATHE_NOMEM, "out of memory while serializing (%zu bytes written)",
                        buf->length);
}

/* ---- reading ---- */

void lathe__rbuf_init(lathe__rbuf *buf, const void *data, size_t length, const char *what)
{
    buf->data = data;
    buf->length = length;
    buf->offset = 0;
    buf->what = what ? what : "data";
    buf->failed = false;
    buf->out_of_memory = false;
    buf->problem[0] = '\0';
}

size_t lathe__rbuf_left(const lathe__rbuf *buf)
{
    return buf->failed ? 0 : buf->length - buf->offset;
}

void lathe__rbuf_fail(lathe__rbuf *buf, const char *format, ...)
{
    if (buf->failed)
        return;
    buf->failed = true;
    va_list args;
    va_start(args, format);
    vsnprintf(buf->problem, sizeof buf->problem, format, args);
    va_end(args);
}

/* An allocation for data read failed: reported as LATHE_NOMEM, not as corruption. */
static void rbuf_fail_nomem(lathe__rbuf *buf)
{
    if (buf->failed)
        return;
    lathe__rbuf_fail(buf, "out of memory");
    buf->out_of_memory = true;
}

const void *lathe__rbuf_bytes(lathe__rbuf *buf, size_t length)
{
    static const unsigned char nothing[1];
    if (buf->failed)
        return NULL;
    size_t left = buf->length - buf->offset;
    if (length > left) {
        lathe__rbuf_fail(buf, "truncated (%zu byte%s needed, %zu left)", length,
                         length == 1 ? "" : "s", left);
        return NULL;
    }
    if (length == 0)
        return buf->data ? buf->data + buf->offset : nothing;
    const unsigned char *at = buf->data + buf->offset;
    buf->offset += length;
    return at;
}

uint8_t lathe__rbuf_u8(lathe__rbuf *buf)
{
    const unsigned char *at = lathe__rbuf_bytes(buf, 1);
    return at ? at[0] : 0;
}

uint32_t lathe__rbuf_u32(lathe__rbuf *buf)
{
    const unsigned char *at = lathe__rbuf_bytes(buf, 4);
    return at ? get_le32(at) : 0;
}

uint64_t lathe__rbuf_u64(lathe__rbuf *buf)
{
    const unsigned char *at = lathe__rbuf_bytes(buf, 8);
    return at ? get_le64(at) : 0;
}

int64_t lathe__rbuf_i64(lathe__rbuf *buf)
{
    uint64_t bits = lathe__rbuf_u64(buf);
    int64_t value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

double lathe__rbuf_f64(lathe__rbuf *buf)
{
    uint64_t bits = lathe__rbuf_u64(buf);
    double value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

size_t lathe__rbuf_count(lathe__rbuf *buf, size_t max, size_t element_size)
{
    size_t start = buf->offset;
    uint64_t count = lathe__rbuf_u64(buf);
    if (buf->failed)
        return 0;
    size_t left = buf->length - buf->offset;
    size_t bytes = 0;
    if (count > (uint64_t)max) {
        buf->offset = start;
        lathe__rbuf_fail(buf, "count %llu is over the limit of %zu", (unsigned long long)count,
                         max);
        return 0;
    }
    if (lathe__mul_overflows((size_t)count, element_size, &bytes) || bytes > left) {
        buf->offset = start;
        lathe__rbuf_fail(buf, "truncated (count %llu needs more than the %zu bytes left)",
                         (unsigned long long)count, left);
        return 0;
    }
    return (size_t)count;
}

char *lathe__rbuf_string(lathe__rbuf *buf, lathe_ctx *ctx, size_t max)
{
    size_t start = buf->offset;
    size_t length = lathe__rbuf_count(buf, max, 1);
    const char *text = lathe__rbuf_bytes(buf, length);
    if (!text)
        return NULL;
    if (memchr(text, '\0', length)) {
        buf->offset = start;
        lathe__rbuf_fail(buf, "string holds a NUL byte");
        return NULL;
    }
    char *copy = lathe__strndup(ctx, text, length);
    if (!copy)
        rbuf_fail_nomem(buf);
    return copy;
}

/* The bytes of a counted array of `element_size`-byte elements and a new array for them. */
static const unsigned char *rbuf_array(lathe__rbuf *buf, lathe_ctx *ctx, size_t max,
                                       size_t element_size, void **array, size_t *count)
{
    *array = NULL;
    *count = 0;
    size_t n = lathe__rbuf_count(buf, max, element_size);
    const unsigned char *at = lathe__rbuf_bytes(buf, n * element_size);
    if (!at)
        return NULL;
    *array = lathe__calloc(ctx, n ? n : 1, element_size);
    if (!*array) {
        rbuf_fail_nomem(buf);
        return NULL;
    }
    *count = n;
    return at;
}

double *lathe__rbuf_f64_array(lathe__rbuf *buf, lathe_ctx *ctx, size_t max, size_t *count)
{
    void *array;
    const unsigned char *at = rbuf_array(buf, ctx, max, 8, &array, count);
    if (!at)
        return NULL;
    double *values = array;
    for (size_t i = 0; i < *count; i++) {
        uint64_t bits = get_le64(at + 8 * i);
        memcpy(&values[i], &bits, sizeof bits);
    }
    return values;
}

int32_t *lathe__rbuf_i32_array(lathe__rbuf *buf, lathe_ctx *ctx, size_t max, size_t *count)
{
    void *array;
    const unsigned char *at = rbuf_array(buf, ctx, max, 4, &array, count);
    if (!at)
        return NULL;
    int32_t *values = array;
    for (size_t i = 0; i < *count; i++) {
        uint32_t bits = get_le32(at + 4 * i);
        memcpy(&values[i], &bits, sizeof bits);
    }
    return values;
}

lathe_status lathe__rbuf_status(const lathe__rbuf *buf, lathe_error *err)
{
    if (!buf->failed)
        return LATHE_OK;
    if (buf->out_of_memory)
        return lathe__error(err, LATHE_NOMEM, "%s: out of memory at byte %zu", buf->what,
                            buf->offset);
    return lathe__error(err, LATHE_CORRUPT, "%s: %s at byte %zu", buf->what, buf->problem,
                        buf->offset);
}
