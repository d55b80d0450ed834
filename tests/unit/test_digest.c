/*
 * test_digest.c: SHA-256 of buffers and files against published vectors
 * (FIPS 180-2 examples) and a value computed independently with GNU
 * coreutils' sha256sum for a file that spans several read chunks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/internal.h"
#include "harness.h"
#include "store/digest.h"

/* The bytes (i * 7 + 3) & 255 for i in [0, 3000000): sha256sum says this. */
#define PATTERN_BYTES 3000000
#define PATTERN_SHA256 "cf2a058c7e1c359c159c665399269fd346d150cbded1a072f4ccf9c996a76726"

static unsigned char *pattern(size_t n_bytes)
{
    unsigned char *bytes = malloc(n_bytes);
    for (size_t i = 0; i < n_bytes; i++)
        bytes[i] = (unsigned char)(i * 7 + 3);
    return bytes;
}

/* Writes `size` bytes to a new temporary file; its path goes into `path`. */
static int write_temp(const void *data, size_t size, char *path, size_t path_size)
{
    snprintf(path, path_size, "/tmp/lathe-digest-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0)
        return 0;
    ssize_t written = write(fd, data, size);
    close(fd);
    return written == (ssize_t)size;
}

TEST(buffer_matches_published_vectors)
{
    char hex[LATHE__SHA256_HEX_SIZE];
    CHECK(lathe__sha256_buffer("abc", 3, hex));
    CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(lathe__sha256_buffer(NULL, 0, hex));
    CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    CHECK(lathe__sha256_buffer(two_blocks, strlen(two_blocks), hex));
    CHECK_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    char *million = malloc(1000000);
    memset(million, 'a', 1000000);
    bool ok = lathe__sha256_buffer(million, 1000000, hex);
    free(million);
    CHECK(ok);
    CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(file_spanning_many_chunks_matches_sha256sum)
{
    unsigned char *bytes = pattern(PATTERN_BYTES);
    char path[64], file_hex[LATHE__SHA256_HEX_SIZE], buffer_hex[LATHE__SHA256_HEX_SIZE];
    int written = write_temp(bytes, PATTERN_BYTES, path, sizeof path);
    bool buffer_ok = lathe__sha256_buffer(bytes, PATTERN_BYTES, buffer_hex);
    free(bytes);
    CHECK(written);
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err;
    lathe_status status = lathe__sha256_file(ctx, path, file_hex, &err);
    unlink(path);
    lathe_ctx_free(ctx);
    CHECK_MSG(status == LATHE_OK, "%s", err.message);
    CHECK_STR(file_hex, PATTERN_SHA256);
    CHECK(buffer_ok);
    CHECK_STR(buffer_hex, PATTERN_SHA256);
}

TEST(empty_file_hashes_like_empty_input)
{
    char path[64], hex[LATHE__SHA256_HEX_SIZE];
    CHECK(write_temp("", 0, path, sizeof path));
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err;
    lathe_status status = lathe__sha256_file(ctx, path, hex, &err);
    unlink(path);
    lathe_ctx_free(ctx);
    CHECK_EQ(status, LATHE_OK);
    CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(missing_file_and_folder_are_reported)
{
    char hex[LATHE__SHA256_HEX_SIZE] = "x";
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_error err;
    lathe_status missing = lathe__sha256_file(ctx, "/nonexistent/train.csv", hex, &err);
    CHECK_EQ(missing, LATHE_NOT_FOUND);
    CHECK_STR(err.message, "cannot open /nonexistent/train.csv: No such file or directory");
    CHECK_STR(hex, "");
    lathe_status folder = lathe__sha256_file(ctx, "/tmp", hex, &err);
    lathe_ctx_free(ctx);
    CHECK_EQ(folder, LATHE_IO);
    CHECK_STR(err.message, "cannot read /tmp: Is a directory");
}

static int cancel_calls;

static int cancel_hashing(void *user, const char *stage, double done, double total)
{
    (void)user;
    (void)done;
    (void)total;
    cancel_calls += strcmp(stage, "hashing") == 0;
    return 1;
}

TEST(hashing_a_large_file_can_be_canceled)
{
    size_t n_bytes = (size_t)9 << 20; /* past the first progress report */
    unsigned char *bytes = calloc(n_bytes, 1);
    char path[64], hex[LATHE__SHA256_HEX_SIZE];
    int written = write_temp(bytes, n_bytes, path, sizeof path);
    free(bytes);
    CHECK(written);
    lathe_ctx *ctx = lathe_ctx_new();
    lathe_ctx_set_progress(ctx, cancel_hashing, NULL);
    lathe_error err;
    cancel_calls = 0;
    lathe_status status = lathe__sha256_file(ctx, path, hex, &err);
    unlink(path);
    lathe_ctx_free(ctx);
    CHECK_EQ(status, LATHE_CANCELED);
    CHECK_EQ(cancel_calls, 1);
    CHECK_HAS(err.message, "was canceled");
    CHECK_STR(hex, "");
}
