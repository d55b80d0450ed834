/*
 * buf.h: byte buffers for writing and bounds-checked reading of binary data
 * (internal). The artifact format and every component's save/load use them.
 *
 * Encoding: little-endian fixed-width integers, IEEE 754 doubles as their
 * 64-bit patterns, strings and arrays as a u64 count then the elements.
 *
 * Writing: lathe__wbuf grows as needed; a failed allocation is remembered and
 * reported once by lathe__wbuf_status, so callers write a sequence of fields
 * and check once at the end.
 *
 * Reading: lathe__rbuf is a cursor over untrusted bytes. Every read checks
 * the remaining length (and counts against a caller's limit for arrays);
 * the first failure sticks, later reads return zeros, and lathe__rbuf_status
 * tells. Nothing read can index out of bounds or allocate more than the
 * input could describe. After a failure the cursor stays at the byte where
 * it happened, which is the byte the message names.
 */
#ifndef LATHE_BUF_H
#define LATHE_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lathe/core.h"

typedef struct lathe__wbuf {
    lathe_ctx *ctx;
    unsigned char *data;
    size_t length;
    size_t capacity;
    bool failed;
} lathe__wbuf;

void lathe__wbuf_init(lathe__wbuf *buf, lathe_ctx *ctx);
void lathe__wbuf_release(lathe__wbuf *buf);
void lathe__wbuf_bytes(lathe__wbuf *buf, const void *data, size_t length);
void lathe__wbuf_u8(lathe__wbuf *buf, uint8_t value);
void lathe__wbuf_u32(lathe__wbuf *buf, uint32_t value);
void lathe__wbuf_u64(lathe__wbuf *buf, uint64_t value);
void lathe__wbuf_i64(lathe__wbuf *buf, int64_t value);
void lathe__wbuf_f64(lathe__wbuf *buf, double value);
/* u64 length, then the bytes (no NUL). */
void lathe__wbuf_string(lathe__wbuf *buf, const char *text, size_t length);
void lathe__wbuf_cstring(lathe__wbuf *buf, const char *text);
/* u64 count, then the values. */
void lathe__wbuf_f64_array(lathe__wbuf *buf, const double *values, size_t count);
void lathe__wbuf_i32_array(lathe__wbuf *buf, const int32_t *values, size_t count);
/* LATHE_OK, or LATHE_NOMEM if any write failed (err filled). `data` then holds a prefix. */
lathe_status lathe__wbuf_status(const lathe__wbuf *buf, lathe_error *err);

typedef struct lathe__rbuf {
    const unsigned char *data;
    size_t length;
    size_t offset;
    const char *what; /* names the data in messages: "model section" */
    bool failed;
    bool out_of_memory; /* the failure was an allocation, not the data */
    char problem[160];
} lathe__rbuf;

/* `data` and `what` are borrowed for the life of the cursor; `what` NULL reads "data". */
void lathe__rbuf_init(lathe__rbuf *buf, const void *data, size_t length, const char *what);
/* Bytes left to read (0 once failed). */
size_t lathe__rbuf_left(const lathe__rbuf *buf);
/* Pointer to the next `length` bytes (NULL and failed if not there; never NULL on success). */
const void *lathe__rbuf_bytes(lathe__rbuf *buf, size_t length);
uint8_t lathe__rbuf_u8(lathe__rbuf *buf);
uint32_t lathe__rbuf_u32(lathe__rbuf *buf);
uint64_t lathe__rbuf_u64(lathe__rbuf *buf);
int64_t lathe__rbuf_i64(lathe__rbuf *buf);
double lathe__rbuf_f64(lathe__rbuf *buf);
/*
 * A u64 count that must be at most `max` and whose `element_size`-byte
 * elements must fit in the bytes left (product overflow-checked); 0 and
 * failed otherwise. element_size 0 checks only `max`.
 */
size_t lathe__rbuf_count(lathe__rbuf *buf, size_t max, size_t element_size);
/*
 * A new NUL-terminated copy (the caller's, freed with lathe__free) of a
 * string field of at most `max` bytes; NULL on failure. A string holding a
 * NUL byte is corrupt, since the copy could not carry it.
 */
char *lathe__rbuf_string(lathe__rbuf *buf, lathe_ctx *ctx, size_t max);
/*
 * A new array (the caller's, freed with lathe__free; non-NULL even when
 * empty) of a counted f64/i32 field of at most `max` elements; *count gets
 * its length. NULL with *count 0 on failure.
 */
double *lathe__rbuf_f64_array(lathe__rbuf *buf, lathe_ctx *ctx, size_t max, size_t *count);
int32_t *lathe__rbuf_i32_array(lathe__rbuf *buf, lathe_ctx *ctx, size_t max, size_t *count);
/* Marks the buffer failed with a reason (for checks the caller makes on values read). */
void lathe__rbuf_fail(lathe__rbuf *buf, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * LATHE_OK, or LATHE_CORRUPT with "WHAT: PROBLEM at byte N" in err
 * ("model section: truncated (8 bytes needed, 3 left) at byte 40"), or
 * LATHE_NOMEM if an array or string could not be allocated.
 */
lathe_status lathe__rbuf_status(const lathe__rbuf *buf, lathe_error *err);

#endif
