/*
 * fuzz_artifact.c: libFuzzer target for the artifact loader and the read
 * buffers behind every section loader. Any input must either open or be
 * refused with a message; an opened artifact's sections are read byte by
 * byte (so ASan sees any section pointing outside the copy) and then
 * decoded as a stream of buf fields, the way a model loader would.
 */
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/internal.h"
#include "store/artifact.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every section byte is added here, so reading them cannot be optimized away. */
static volatile unsigned touched;

/* Reads a section as a model loader might: strings, arrays and numbers until it fails. */
static void decode_fields(lathe_ctx *ctx, const void *data, size_t length)
{
    lathe__rbuf in;
    lathe__rbuf_init(&in, data, length, "fuzz section");
    while (!in.failed && lathe__rbuf_left(&in) > 0) {
        size_t count = 0;
        switch (lathe__rbuf_u8(&in) % 5) {
        case 0:
            lathe__free(ctx, lathe__rbuf_string(&in, ctx, 1 << 16));
            break;
        case 1:
            lathe__free(ctx, lathe__rbuf_f64_array(&in, ctx, 1 << 20, &count));
            break;
        case 2:
            lathe__free(ctx, lathe__rbuf_i32_array(&in, ctx, 1 << 20, &count));
            break;
        case 3:
            (void)lathe__rbuf_f64(&in);
            (void)lathe__rbuf_i64(&in);
            break;
        default:
            (void)lathe__rbuf_bytes(&in, lathe__rbuf_count(&in, 4096, 1));
            break;
        }
    }
    lathe_error err;
    if (lathe__rbuf_status(&in, &err) != LATHE_OK && err.message[0] == '\0')
        __builtin_trap();
}

static void read_sections(lathe_ctx *ctx, const lathe__artifact *artifact)
{
    for (size_t i = 0; i < lathe__artifact_n_sections(artifact); i++) {
        const char *name;
        const void *data, *found;
        size_t length, found_length;
        lathe__artifact_section_at(artifact, i, &name, &data, &length);
        for (size_t b = 0; b < length; b++)
            touched += ((const unsigned char *)data)[b];
        if (!lathe__artifact_section(artifact, name, &found, &found_length) || found != data ||
            found_length != length)
            __builtin_trap();
        decode_fields(ctx, data, length);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe__artifact *artifact = NULL;
    lathe_error err;
    lathe_error_clear(&err);
    if (lathe__artifact_open_buffer(ctx, data, size, "fuzz.lathe", &artifact, &err) == LATHE_OK)
        read_sections(ctx, artifact);
    else if (artifact != NULL || err.message[0] == '\0')
        __builtin_trap();
    lathe__artifact_free(artifact);
    lathe_ctx_free(ctx);
    return 0;
}
