/*
 * digest.h: SHA-256 of buffers and files, as lowercase hex (internal).
 *
 * Lineage records the SHA-256 of the training data so a model can be traced
 * to the exact bytes it learned from; the artifact store addresses content
 * by it. The hashing is OpenSSL's libcrypto (Debian's, hardware-accelerated
 * where the CPU allows), never a copy of our own.
 */
#ifndef LATHE_DIGEST_H
#define LATHE_DIGEST_H

#include <stdbool.h>
#include <stddef.h>

#include "lathe/core.h"

/* 64 hex digits and a NUL. */
#define LATHE__SHA256_HEX_SIZE 65

/*
 * Writes the SHA-256 of data[0..size) into hex. False (hex then "") only if
 * OpenSSL fails, which in practice means it ran out of memory.
 */
bool lathe__sha256_buffer(const void *data, size_t size, char hex[LATHE__SHA256_HEX_SIZE])
    __attribute__((warn_unused_result));

/*
 * Writes the SHA-256 of the file at `path` into hex, reading it in chunks
 * (any size, constant memory). Reports progress as stage "hashing" and
 * stops with LATHE_CANCELED if asked. LATHE_NOT_FOUND if there is no such
 * file, LATHE_IO if it cannot be read; hex is "" on failure. OpenSSL's own
 * small allocations do not go through the context's allocator.
 */
lathe_status lathe__sha256_file(lathe_ctx *ctx, const char *path, char hex[LATHE__SHA256_HEX_SIZE],
                                lathe_error *err);

#endif
