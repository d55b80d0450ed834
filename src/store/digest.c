/*
 * digest.c: SHA-256 through OpenSSL's EVP interface (the low-level
 * SHA256_Init family is deprecated in OpenSSL 3).
 *
 * Files are read in 1 MiB chunks into a buffer from the context, so memory
 * stays constant however large the training data is; progress is reported
 * every 8 MiB, which is also when cancellation is noticed.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "core/internal.h"
#include "store/digest.h"

#include "core/banned.h"

#define CHUNK_BYTES ((size_t)1 << 20)
#define PROGRESS_EVERY_BYTES ((uint64_t)8 << 20)

static void to_hex(const unsigned char *digest, unsigned length, char *hex)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < length; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 15];
    }
    hex[2 * (size_t)length] = '\0';
}

bool lathe__sha256_buffer(const void *data, size_t size, char hex[LATHE__SHA256_HEX_SIZE])
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned length = 0;
    hex[0] = '\0';
    if (!EVP_Digest(size ? data : "", size, digest, &length, EVP_sha256(), NULL) || length != 32)
        return false;
    to_hex(digest, length, hex);
    return true;
}

/* Feeds all of fd to `md`; LATHE_OK or an error naming `path`. */
static lathe_status hash_fd(lathe_ctx *ctx, EVP_MD_CTX *md, int fd, const char *path,
                            lathe_error *err)
{
    struct stat st;
    double total = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? (double)st.st_size : 0;
    unsigned char *chunk = lathe__alloc(ctx, CHUNK_BYTES);
    if (!chunk)
        return lathe__error_nomem(err);
    lathe_status status = LATHE_OK;
    uint64_t done = 0;
    for (;;) {
        ssize_t n = read(fd, chunk, CHUNK_BYTES);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            status = lathe__error(err, LATHE_IO, "cannot read %s: %s", path, strerror(errno));
            break;
        }
        if (n == 0)
            break;
        if (!EVP_DigestUpdate(md, chunk, (size_t)n)) {
            status = lathe__error(err, LATHE_NOMEM, "cannot hash %s: OpenSSL failed", path);
            break;
        }
        done += (uint64_t)n;
        if (done % PROGRESS_EVERY_BYTES < (uint64_t)n &&
            lathe__progress(ctx, "hashing", (double)done, total)) {
            status = lathe__error(err, LATHE_CANCELED, "hashing %s was canceled", path);
            break;
        }
    }
    lathe__free(ctx, chunk);
    return status;
}

lathe_status lathe__sha256_file(lathe_ctx *ctx, const char *path, char hex[LATHE__SHA256_HEX_SIZE],
                                lathe_error *err)
{
    hex[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return lathe__error(err, errno == ENOENT ? LATHE_NOT_FOUND : LATHE_IO, "cannot open %s: %s",
                            path, strerror(errno));
    lathe_status status = LATHE_OK;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
        status = lathe__error(err, LATHE_NOMEM, "cannot hash %s: OpenSSL failed", path);
        goto out;
    }
    status = hash_fd(ctx, md, fd, path, err);
    if (status != LATHE_OK)
        goto out;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned length = 0;
    if (!EVP_DigestFinal_ex(md, digest, &length) || length != 32) {
        status = lathe__error(err, LATHE_NOMEM, "cannot hash %s: OpenSSL failed", path);
        goto out;
    }
    to_hex(digest, length, hex);
out:
    EVP_MD_CTX_free(md);
    close(fd);
    return status;
}
