/*
 * read.c: lathe_read, from a path, standard input or memory, to a frame.
 *
 * Loads the whole input into memory (decompressing gzip, detected by its
 * magic bytes rather than trusted from the name), picks the format from the
 * options, the name or the content, and hands over to that format's reader.
 * Decompressed size is capped by the memory limit, so a small .gz cannot
 * expand without bound. The exception is an uncompressed CSV or TSV file
 * that is a regular file: the CSV reader streams it a window at a time,
 * since holding a large file whole would double the memory of loading it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/internal.h"
#include "data/readers.h"

#include "core/banned.h"

#define NAME_LIST(X, text) text,
static const char *const format_names[] = {LATHE_FORMAT_MAP(NAME_LIST)};
#undef NAME_LIST

static const lathe__reader_fn readers[LATHE_FORMAT_COUNT] = {
    [LATHE_FORMAT_CSV] = lathe__read_csv,       [LATHE_FORMAT_TSV] = lathe__read_csv,
    [LATHE_FORMAT_JSON] = lathe__read_json,     [LATHE_FORMAT_ARFF] = lathe__read_arff,
    [LATHE_FORMAT_LIBSVM] = lathe__read_libsvm,
};

static const struct {
    const char *extension;
    lathe_format format;
} extensions[] = {
    {".csv", LATHE_FORMAT_CSV},         {".txt", LATHE_FORMAT_CSV},
    {".tsv", LATHE_FORMAT_TSV},         {".tab", LATHE_FORMAT_TSV},
    {".json", LATHE_FORMAT_JSON},       {".jsonl", LATHE_FORMAT_JSON},
    {".ndjson", LATHE_FORMAT_JSON},     {".arff", LATHE_FORMAT_ARFF},
    {".libsvm", LATHE_FORMAT_LIBSVM},   {".svm", LATHE_FORMAT_LIBSVM},
    {".svmlight", LATHE_FORMAT_LIBSVM},
};

const char *lathe_format_name(lathe_format format)
{
    return (unsigned)format < LATHE_FORMAT_COUNT ? format_names[format] : NULL;
}

bool lathe_format_parse(const char *name, lathe_format *out)
{
    for (int i = 0; i < LATHE_FORMAT_COUNT; i++) {
        if (strcmp(name, format_names[i]) == 0) {
            *out = (lathe_format)i;
            return true;
        }
    }
    return false;
}

static lathe_format format_from_name(const char *name)
{
    size_t length = strlen(name);
    if (length > 3 && strcasecmp(name + length - 3, ".gz") == 0)
        length -= 3;
    for (size_t i = 0; i < sizeof extensions / sizeof extensions[0]; i++) {
        size_t n = strlen(extensions[i].extension);
        if (length > n && strncasecmp(name + length - n, extensions[i].extension, n) == 0)
            return extensions[i].format;
    }
    return LATHE_FORMAT_AUTO;
}

static bool is_gzip(const char *data, size_t size)
{
    return size >= 2 && (unsigned char)data[0] == 0x1f && (unsigned char)data[1] == 0x8b;
}

/* Inflates every gzip member of `in` into a new buffer of at most `limit` bytes. */
static lathe_status gunzip(lathe_ctx *ctx, const char *name, const char *in, size_t in_size,
                           size_t limit, char **out, size_t *out_size, lathe_error *err)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
        return lathe__error_nomem(err);
    size_t capacity = in_size * 4 + 4096, size = 0;
    char *buf = lathe__alloc(ctx, capacity);
    lathe_status status = LATHE_OK;
    if (!buf) {
        status = lathe__error_nomem(err);
        goto out;
    }
    z.next_in = (Bytef *)in;
    size_t in_left = in_size;
    for (;;) {
        if (size == capacity) {
            if (capacity >= limit) {
                status = lathe__error(err, LATHE_LIMIT,
                                      "%s: decompresses to more than the memory limit of %zu "
                                      "bytes",
                                      name, limit);
                goto out;
            }
            size_t next = capacity * 2 > limit ? limit : capacity * 2;
            char *grown = lathe__realloc_array(ctx, buf, next, 1);
            if (!grown) {
                status = lathe__error_nomem(err);
                goto out;
            }
            buf = grown;
            capacity = next;
        }
        uInt chunk_in = in_left > (1u << 30) ? (1u << 30) : (uInt)in_left;
        size_t room = capacity - size;
        uInt chunk_out = room > (1u << 30) ? (1u << 30) : (uInt)room;
        z.avail_in = chunk_in;
        z.next_out = (Bytef *)buf + size;
        z.avail_out = chunk_out;
        int rc = inflate(&z, Z_NO_FLUSH);
        in_left -= chunk_in - z.avail_in;
        size += chunk_out - z.avail_out;
        if (rc == Z_STREAM_END) {
            /* Another member may follow (as `cat a.gz b.gz` makes). */
            if (in_left == 0 || !is_gzip((const char *)z.next_in, in_left))
                break;
            inflateReset(&z);
            continue;
        }
        if (rc == Z_BUF_ERROR && in_left == 0) {
            status = lathe__error(err, LATHE_PARSE, "%s: gzip data is truncated", name);
            goto out;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            status = lathe__error(err, LATHE_PARSE, "%s: gzip data is corrupt (%s)", name,
                                  z.msg ? z.msg : "inflate failed");
            goto out;
        }
    }
    *out = buf;
    *out_size = size;
    buf = NULL;
out:
    inflateEnd(&z);
    lathe__free(ctx, buf);
    return status;
}

/* Reads all of fd into a new buffer of at most `limit` bytes. */
static lathe_status slurp(lathe_ctx *ctx, int fd, const char *name, size_t limit, char **out,
                          size_t *out_size, lathe_error *err)
{
    struct stat st;
    size_t capacity = 1 << 16;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        if ((uint64_t)st.st_size > limit)
            return lathe__error(err, LATHE_LIMIT,
                                "%s: %lld bytes is more than the memory limit of %zu bytes", name,
                                (long long)st.st_size, limit);
        capacity = (size_t)st.st_size + 1;
    }
    char *buf = lathe__alloc(ctx, capacity);
    if (!buf)
        return lathe__error_nomem(err);
    size_t size = 0;
    for (;;) {
        if (size == capacity) {
            if (capacity >= limit) {
                lathe__free(ctx, buf);
                return lathe__error(err, LATHE_LIMIT, "%s: more than the memory limit of %zu bytes",
                                    name, limit);
            }
            size_t next = capacity * 2 > limit ? limit : capacity * 2;
            char *grown = lathe__realloc_array(ctx, buf, next, 1);
            if (!grown) {
                lathe__free(ctx, buf);
                return lathe__error_nomem(err);
            }
            buf = grown;
            capacity = next;
        }
        ssize_t n = read(fd, buf + size, capacity - size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int saved = errno;
            lathe__free(ctx, buf);
            return lathe__error(err, LATHE_IO, "%s: %s", name, strerror(saved));
        }
        if (n == 0)
            break;
        size += (size_t)n;
    }
    *out = buf;
    *out_size = size;
    return LATHE_OK;
}

lathe_status lathe_read_buffer(lathe_ctx *ctx, const void *data, size_t size, const char *name,
                               const lathe_read_options *options, lathe_frame **out,
                               lathe_error *err)
{
    lathe_read_options defaults;
    if (!options) {
        lathe_read_options_init(&defaults);
        options = &defaults;
    }
    if (!name)
        name = "<buffer>";
    char *inflated = NULL;
    lathe__input input = {.name = name, .data = data, .size = size};
    if (is_gzip(data, size)) {
        lathe_status status = gunzip(ctx, name, data, size, options->limits.max_memory_bytes,
                                     &inflated, &input.size, err);
        if (status != LATHE_OK)
            return status;
        input.data = inflated;
    }
    lathe_format format = options->format;
    if ((unsigned)format >= LATHE_FORMAT_COUNT) {
        lathe__free(ctx, inflated);
        return lathe__error(err, LATHE_INVALID, "unknown format %d", (int)format);
    }
    if (format == LATHE_FORMAT_AUTO)
        format = format_from_name(name);
    if (format == LATHE_FORMAT_AUTO)
        format = lathe__sniff_format(input.data, input.size);
    lathe_read_options chosen = *options;
    chosen.format = format;
    lathe_status status = readers[format](ctx, &input, &chosen, out, err);
    lathe__free(ctx, inflated);
    return status;
}

/* Bytes of a file looked at to tell gzip and the format before streaming it. */
#define PEEK_BYTES (64 * 1024)

/*
 * The format of fd if the CSV reader can stream it: a regular file, not
 * gzip, that the options, the name or the first bytes say is CSV or TSV.
 * AUTO otherwise (or when the first bytes cannot be read: slurp will say why).
 */
static lathe_format streamable_format(lathe_ctx *ctx, int fd, const char *name,
                                      const lathe_read_options *options)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return LATHE_FORMAT_AUTO;
    char *peek = lathe__alloc(ctx, PEEK_BYTES);
    if (!peek)
        return LATHE_FORMAT_AUTO;
    ssize_t n;
    do
        n = pread(fd, peek, PEEK_BYTES, 0);
    while (n < 0 && errno == EINTR);
    lathe_format format = options->format;
    if (n < 0 || is_gzip(peek, (size_t)n))
        format = LATHE_FORMAT_AUTO;
    else if (format == LATHE_FORMAT_AUTO && (format = format_from_name(name)) == LATHE_FORMAT_AUTO)
        format = lathe__sniff_format(peek, (size_t)n);
    lathe__free(ctx, peek);
    return format == LATHE_FORMAT_CSV || format == LATHE_FORMAT_TSV ? format : LATHE_FORMAT_AUTO;
}

lathe_status lathe_read(lathe_ctx *ctx, const char *path, const lathe_read_options *options,
                        lathe_frame **out, lathe_error *err)
{
    lathe_read_options defaults;
    if (!options) {
        lathe_read_options_init(&defaults);
        options = &defaults;
    }
    bool from_stdin = strcmp(path, "-") == 0;
    const char *name = from_stdin ? "<stdin>" : path;
    int fd = from_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return lathe__error(err, errno == ENOENT ? LATHE_NOT_FOUND : LATHE_IO, "%s: %s", path,
                            strerror(errno));
    lathe_format format =
        from_stdin ? LATHE_FORMAT_AUTO : streamable_format(ctx, fd, name, options);
    if (format != LATHE_FORMAT_AUTO) {
        lathe_read_options chosen = *options;
        chosen.format = format;
        lathe__input input = {.name = name, .streamed = true, .fd = fd};
        lathe_status status = lathe__read_csv(ctx, &input, &chosen, out, err);
        close(fd);
        return status;
    }
    char *data = NULL;
    size_t size = 0;
    lathe_status status = slurp(ctx, fd, name, options->limits.max_memory_bytes, &data, &size, err);
    if (!from_stdin)
        close(fd);
    if (status != LATHE_OK)
        return status;
    status = lathe_read_buffer(ctx, data, size, name, options, out, err);
    lathe__free(ctx, data);
    return status;
}
