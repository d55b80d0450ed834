/*
 * artifact.c: writing and checking the one-file model artifact (layout in
 * artifact.h).
 *
 * The loader checks a file in the order a person would want to hear about
 * its problems: is it an artifact at all (magic), can this build read it
 * (version), is it all there (sizes), then whether it is intact (header
 * checksum), well formed (table), and finally each payload's checksum.
 * The version is checked before the header checksum so a newer format with
 * a different header gets "newer Lathe" rather than "corrupt".
 *
 * Every offset and length read from a file is a u64 checked against the
 * real size before it is used, with overflow-checked arithmetic; sections
 * must sit exactly where the writer would put them, so overlaps, gaps and
 * trailing bytes are all refused.
 *
 * The writer never holds the whole file in memory: it builds the header,
 * then streams each section's bytes (copied or taken from a lathe__wbuf)
 * to a temporary file that is renamed into place once it is on disk.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "core/internal.h"
#include "store/artifact.h"

#include "core/banned.h"

#define MAGIC_BYTES 8
#define PREAMBLE_BYTES 20 /* magic, version, flags, section count */
#define ENTRY_BYTES 40
#define NAME_BYTES LATHE__ARTIFACT_NAME_MAX

typedef struct section {
    char name[NAME_BYTES + 1];
    unsigned char *data; /* writer: owned; reader: unused */
    uint64_t offset;
    uint64_t length;
    uint32_t crc;
} section;

struct lathe__artifact_writer {
    lathe_ctx *ctx;
    section *sections;
    size_t n_sections;
    size_t capacity;
};

struct lathe__artifact {
    lathe_ctx *ctx;
    unsigned char *data; /* the whole file, owned */
    size_t size;
    char *source;
    size_t n_sections;
    section sections[LATHE__ARTIFACT_MAX_SECTIONS];
};

static uint32_t checksum(const unsigned char *data, size_t length)
{
    return (uint32_t)crc32_z(0, data, length);
}

static uint32_t get_le32(const unsigned char *in)
{
    return (uint32_t)in[0] | (uint32_t)in[1] << 8 | (uint32_t)in[2] << 16 | (uint32_t)in[3] << 24;
}

static uint64_t get_le64(const unsigned char *in)
{
    return (uint64_t)get_le32(in) | (uint64_t)get_le32(in + 4) << 32;
}

static size_t header_bytes(size_t n_sections)
{
    return PREAMBLE_BYTES + ENTRY_BYTES * n_sections + 4;
}

static uint64_t align8(uint64_t offset)
{
    return (offset + 7) & ~(uint64_t)7;
}

static bool name_char_ok(unsigned char c)
{
    return c > 0x20 && c < 0x7f;
}

/* ---- writing ---- */

lathe_status lathe__artifact_writer_new(lathe_ctx *ctx, lathe__artifact_writer **out,
                                        lathe_error *err)
{
    lathe__artifact_writer *writer = lathe__calloc(ctx, 1, sizeof *writer);
    if (!writer)
        return lathe__error_nomem(err);
    writer->ctx = ctx;
    *out = writer;
    return LATHE_OK;
}

void lathe__artifact_writer_free(lathe__artifact_writer *writer)
{
    if (!writer)
        return;
    for (size_t i = 0; i < writer->n_sections; i++)
        lathe__free(writer->ctx, writer->sections[i].data);
    lathe__free(writer->ctx, writer->sections);
    lathe__free(writer->ctx, writer);
}

/* Checks that `name` can be added, and makes room for it. */
static lathe_status writer_check_name(lathe__artifact_writer *writer, const char *name,
                                      lathe_error *err)
{
    size_t length = strnlen(name, NAME_BYTES + 1);
    bool printable = length > 0 && length <= NAME_BYTES;
    for (size_t i = 0; printable && i < length; i++)
        printable = name_char_ok((unsigned char)name[i]);
    if (!printable)
        return lathe__error(err, LATHE_INVALID,
                            "bad artifact section name \"%.*s\" (1 to %d printable ASCII "
                            "characters, no spaces)",
                            NAME_BYTES + 1, name, NAME_BYTES);
    for (size_t i = 0; i < writer->n_sections; i++)
        if (strcmp(writer->sections[i].name, name) == 0)
            return lathe__error(err, LATHE_INVALID, "artifact section \"%s\" added twice", name);
    if (writer->n_sections == LATHE__ARTIFACT_MAX_SECTIONS)
        return lathe__error(err, LATHE_INVALID, "an artifact holds at most %d sections",
                            LATHE__ARTIFACT_MAX_SECTIONS);
    if (!lathe__grow(writer->ctx, (void **)&writer->sections, &writer->capacity,
                     writer->n_sections + 1, sizeof *writer->sections))
        return lathe__error_nomem(err);
    return LATHE_OK;
}

/* Appends a section owning `data` (room was made by writer_check_name). */
static void writer_append(lathe__artifact_writer *writer, const char *name, unsigned char *data,
                          size_t length)
{
    section *added = &writer->sections[writer->n_sections++];
    memset(added, 0, sizeof *added);
    memcpy(added->name, name, strlen(name));
    added->data = data;
    added->length = length;
    added->crc = checksum(data, length);
}

lathe_status lathe__artifact_writer_add(lathe__artifact_writer *writer, const char *name,
                                        const void *data, size_t length, lathe_error *err)
{
    lathe_status status = writer_check_name(writer, name, err);
    if (status != LATHE_OK)
        return status;
    unsigned char *copy = lathe__alloc(writer->ctx, length);
    if (!copy)
        return lathe__error_nomem(err);
    if (length)
        memcpy(copy, data, length);
    writer_append(writer, name, copy, length);
    return LATHE_OK;
}

lathe_status lathe__artifact_writer_take(lathe__artifact_writer *writer, const char *name,
                                         lathe__wbuf *buf, lathe_error *err)
{
    lathe_status status = lathe__wbuf_status(buf, err);
    if (status != LATHE_OK)
        return status;
    status = writer_check_name(writer, name, err);
    if (status != LATHE_OK)
        return status;
    unsigned char *data = buf->data;
    if (!data && !(data = lathe__alloc(writer->ctx, 1)))
        return lathe__error_nomem(err);
    writer_append(writer, name, data, buf->length);
    lathe__wbuf_init(buf, buf->ctx);
    return LATHE_OK;
}

/*
 * Places the sections after the header, checking that the file size fits.
 * The offsets depend on the final section count, so every write derives
 * them again (which is why a const writer may update them).
 */
static lathe_status writer_layout(const lathe__artifact_writer *writer, lathe_error *err)
{
    uint64_t position = header_bytes(writer->n_sections);
    for (size_t i = 0; i < writer->n_sections; i++) {
        section *placed = &writer->sections[i];
        placed->offset = align8(position);
        if (__builtin_add_overflow(placed->offset, placed->length, &position) ||
            position > SIZE_MAX)
            return lathe__error(err, LATHE_LIMIT, "the artifact would be too large");
    }
    return LATHE_OK;
}

/* Writes the header (everything before the first payload) into `out`. */
static lathe_status writer_header(const lathe__artifact_writer *writer, lathe__wbuf *out,
                                  lathe_error *err)
{
    size_t start = out->length;
    lathe__wbuf_bytes(out, LATHE__ARTIFACT_MAGIC, MAGIC_BYTES);
    lathe__wbuf_u32(out, LATHE__ARTIFACT_FORMAT);
    lathe__wbuf_u32(out, 0);
    lathe__wbuf_u32(out, (uint32_t)writer->n_sections);
    for (size_t i = 0; i < writer->n_sections; i++) {
        const section *entry = &writer->sections[i];
        lathe__wbuf_bytes(out, entry->name, NAME_BYTES); /* NUL-padded by memset */
        lathe__wbuf_u64(out, entry->offset);
        lathe__wbuf_u64(out, entry->length);
        lathe__wbuf_u32(out, entry->crc);
        lathe__wbuf_u32(out, 0);
    }
    lathe_status status = lathe__wbuf_status(out, err);
    if (status != LATHE_OK)
        return status;
    lathe__wbuf_u32(out, checksum(out->data + start, out->length - start));
    return lathe__wbuf_status(out, err);
}

lathe_status lathe__artifact_write_buffer(const lathe__artifact_writer *writer, lathe__wbuf *out,
                                          lathe_error *err)
{
    static const unsigned char zeros[8];
    lathe_status status = writer_layout(writer, err);
    if (status == LATHE_OK)
        status = writer_header(writer, out, err);
    if (status != LATHE_OK)
        return status;
    size_t start = out->length - header_bytes(writer->n_sections);
    for (size_t i = 0; i < writer->n_sections; i++) {
        const section *entry = &writer->sections[i];
        lathe__wbuf_bytes(out, zeros, (size_t)entry->offset - (out->length - start));
        lathe__wbuf_bytes(out, entry->data, (size_t)entry->length);
    }
    return lathe__wbuf_status(out, err);
}

/* ---- writing a file atomically ---- */

static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/*
 * Creates "PATH.tmp-XXXXXX" exclusively (O_EXCL never follows or reuses an
 * existing name, so a guessable name is safe) and fills *temp with its name.
 * Mode 0666 lets the umask decide, as for any file the user creates.
 */
static int create_temp(const char *path, char *temp, size_t temp_size)
{
    static const char letters[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    uint64_t state = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
    state ^= (uint64_t)getpid() << 40 ^ (uint64_t)(uintptr_t)temp;
    for (int attempt = 0; attempt < 100; attempt++) {
        char suffix[7];
        uint64_t bits = mix64(state + (uint64_t)attempt);
        for (int i = 0; i < 6; i++, bits /= 62)
            suffix[i] = letters[bits % 62];
        suffix[6] = '\0';
        snprintf(temp, temp_size, "%s.tmp-%s", path, suffix);
        int fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    return -1;
}

static bool write_all(int fd, const void *data, size_t length)
{
    const unsigned char *at = data;
    while (length > 0) {
        ssize_t n = write(fd, at, length);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        at += n;
        length -= (size_t)n;
    }
    return true;
}

/* Header, padding and payloads to fd, then fsync. false with errno set on failure. */
static bool write_contents(const lathe__artifact_writer *writer, const lathe__wbuf *header, int fd)
{
    static const unsigned char zeros[8];
    if (!write_all(fd, header->data, header->length))
        return false;
    uint64_t position = header->length;
    for (size_t i = 0; i < writer->n_sections; i++) {
        const section *entry = &writer->sections[i];
        if (!write_all(fd, zeros, (size_t)(entry->offset - position)) ||
            !write_all(fd, entry->data, (size_t)entry->length))
            return false;
        position = entry->offset + entry->length;
    }
    return fsync(fd) == 0;
}

/* Syncs the folder holding `path` so the rename itself is on disk. */
static lathe_status sync_folder(lathe_ctx *ctx, const char *path, lathe_error *err)
{
    const char *slash = strrchr(path, '/');
    char *folder = slash == path   ? lathe__strndup(ctx, "/", 1)
                   : slash != NULL ? lathe__strndup(ctx, path, (size_t)(slash - path))
                                   : lathe__strndup(ctx, ".", 1);
    if (!folder)
        return lathe__error_nomem(err);
    lathe_status status = LATHE_OK;
    int fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    /* Some file systems cannot sync a folder (EINVAL); the rename is as durable as they allow. */
    if (fd < 0 || (fsync(fd) != 0 && errno != EINVAL))
        status =
            lathe__error(err, LATHE_IO, "%s was written but its folder %s could not be synced: %s",
                         path, folder, strerror(errno));
    if (fd >= 0)
        close(fd);
    lathe__free(ctx, folder);
    return status;
}

/* Writes everything to the already-created temporary file `fd`, and renames it over `path`. */
static lathe_status write_and_rename(const lathe__artifact_writer *writer,
                                     const lathe__wbuf *header, int fd, const char *temp,
                                     const char *path, lathe_error *err)
{
    bool written = write_contents(writer, header, fd);
    int saved = errno;
    if (close(fd) != 0 && written) {
        written = false;
        saved = errno;
    }
    if (!written) {
        unlink(temp);
        return lathe__error(err, LATHE_IO, "cannot write %s: %s", temp, strerror(saved));
    }
    if (rename(temp, path) != 0) {
        saved = errno;
        unlink(temp);
        return lathe__error(err, LATHE_IO, "cannot rename %s to %s: %s", temp, path,
                            strerror(saved));
    }
    return sync_folder(writer->ctx, path, err);
}

lathe_status lathe__artifact_write_file(const lathe__artifact_writer *writer, const char *path,
                                        lathe_error *err)
{
    lathe__wbuf header;
    lathe__wbuf_init(&header, writer->ctx);
    char *temp = NULL;
    lathe_status status = writer_layout(writer, err);
    if (status == LATHE_OK)
        status = writer_header(writer, &header, err);
    if (status != LATHE_OK)
        goto out;
    size_t temp_size = strlen(path) + sizeof ".tmp-XXXXXX";
    temp = lathe__alloc(writer->ctx, temp_size);
    if (!temp) {
        status = lathe__error_nomem(err);
        goto out;
    }
    int fd = create_temp(path, temp, temp_size);
    if (fd < 0) {
        status =
            lathe__error(err, errno == ENOENT ? LATHE_NOT_FOUND : LATHE_IO,
                         "cannot create a temporary file next to %s: %s", path, strerror(errno));
        goto out;
    }
    status = write_and_rename(writer, &header, fd, temp, path, err);
out:
    lathe__free(writer->ctx, temp);
    lathe__wbuf_release(&header);
    return status;
}

/* ---- reading: the checks ---- */

/* Magic, version, section count and sizes; *n_sections gets the count. */
static lathe_status check_preamble(const unsigned char *data, size_t size, const char *name,
                                   size_t *n_sections, lathe_error *err)
{
    if (size == 0)
        return lathe__error(err, LATHE_PARSE, "%s is empty, not a Lathe model", name);
    if (memcmp(data, LATHE__ARTIFACT_MAGIC, size < MAGIC_BYTES ? size : MAGIC_BYTES) != 0)
        return lathe__error(err, LATHE_PARSE, "%s is not a Lathe model (bad magic)", name);
    if (size < PREAMBLE_BYTES)
        return lathe__error(err, LATHE_CORRUPT,
                            "%s is truncated: %zu bytes, shorter than the smallest header (%zu)",
                            name, size, header_bytes(0));
    uint32_t version = get_le32(data + 8);
    if (version > LATHE__ARTIFACT_FORMAT)
        return lathe__error(
            err, LATHE_UNSUPPORTED,
            "%s was written by a newer Lathe (format %u; this build reads up to %u)", name,
            (unsigned)version, LATHE__ARTIFACT_FORMAT);
    if (version == 0)
        return lathe__error(err, LATHE_CORRUPT, "%s is corrupt (format version 0)", name);
    uint32_t count = get_le32(data + 16);
    if (count > LATHE__ARTIFACT_MAX_SECTIONS)
        return lathe__error(err, LATHE_CORRUPT, "%s is corrupt (%u sections; at most %d allowed)",
                            name, (unsigned)count, LATHE__ARTIFACT_MAX_SECTIONS);
    if (size < header_bytes(count))
        return lathe__error(err, LATHE_CORRUPT,
                            "%s is truncated: %zu bytes, shorter than its %zu-byte header", name,
                            size, header_bytes(count));
    *n_sections = count;
    return LATHE_OK;
}

/* The header checksum, then the flags it covers. */
static lathe_status check_header(const unsigned char *data, size_t n_sections, const char *name,
                                 lathe_error *err)
{
    size_t covered = header_bytes(n_sections) - 4;
    if (checksum(data, covered) != get_le32(data + covered))
        return lathe__error(err, LATHE_CORRUPT, "%s is corrupt (header checksum mismatch)", name);
    uint32_t flags = get_le32(data + 12);
    if (flags != 0)
        return lathe__error(err, LATHE_UNSUPPORTED,
                            "%s uses features this build does not know (flags 0x%08x)", name,
                            (unsigned)flags);
    return LATHE_OK;
}

/* Decodes table entry `index` into *entry, checking its name and reserved field. */
static lathe_status read_entry(const unsigned char *data, size_t index, const char *name,
                               section *entry, lathe_error *err)
{
    const unsigned char *at = data + PREAMBLE_BYTES + ENTRY_BYTES * index;
    size_t length = 0;
    while (length < NAME_BYTES && at[length] != 0)
        length++;
    bool printable = length > 0;
    for (size_t i = 0; i < NAME_BYTES; i++)
        printable = printable && (i < length ? name_char_ok(at[i]) : at[i] == 0);
    if (!printable)
        return lathe__error(err, LATHE_CORRUPT,
                            "%s is corrupt (the name of section %zu is not printable ASCII)", name,
                            index + 1);
    memset(entry, 0, sizeof *entry);
    memcpy(entry->name, at, length);
    entry->offset = get_le64(at + 16);
    entry->length = get_le64(at + 24);
    entry->crc = get_le32(at + 32);
    if (get_le32(at + 36) != 0)
        return lathe__error(err, LATHE_CORRUPT,
                            "%s is corrupt (section \"%s\" has nonzero reserved bytes)", name,
                            entry->name);
    return LATHE_OK;
}

/*
 * Checks that `entry` lies inside the file and exactly where the writer
 * puts it: at the first multiple of 8 at or after `previous_end` (the end
 * of `previous`, or of the header when previous is NULL), with zero bytes
 * between.
 */
static lathe_status check_placement(const unsigned char *data, size_t size, const section *entry,
                                    const section *previous, uint64_t previous_end,
                                    const char *name, lathe_error *err)
{
    uint64_t expected = align8(previous_end), end;
    bool overflows = __builtin_add_overflow(entry->offset, entry->length, &end);
    if (overflows || end > size) {
        if (!overflows && entry->offset == expected)
            return lathe__error(err, LATHE_CORRUPT,
                                "%s is truncated: section \"%s\" ends at byte %llu, past the end "
                                "of the file (%zu bytes)",
                                name, entry->name, (unsigned long long)end, size);
        return lathe__error(err, LATHE_CORRUPT,
                            "%s is corrupt (section \"%s\" lies outside the file)", name,
                            entry->name);
    }
    if (entry->offset < previous_end && previous)
        return lathe__error(err, LATHE_CORRUPT,
                            "%s is corrupt (section \"%s\" overlaps section \"%s\")", name,
                            entry->name, previous->name);
    if (entry->offset < previous_end)
        return lathe__error(err, LATHE_CORRUPT,
                            "%s is corrupt (section \"%s\" overlaps the section table)", name,
                            entry->name);
    if (entry->offset != expected)
        return lathe__error(
            err, LATHE_CORRUPT, "%s is corrupt (section \"%s\" starts at byte %llu, not %llu)",
            name, entry->name, (unsigned long long)entry->offset, (unsigned long long)expected);
    for (uint64_t at = previous_end; at < expected; at++)
        if (data[at] != 0)
            return lathe__error(err, LATHE_CORRUPT, "%s is corrupt (nonzero padding at byte %llu)",
                                name, (unsigned long long)at);
    return LATHE_OK;
}

/* Reads and checks the section table into sections[0..n_sections). */
static lathe_status check_table(const unsigned char *data, size_t size, size_t n_sections,
                                const char *name, section *sections, lathe_error *err)
{
    uint64_t end = header_bytes(n_sections);
    for (size_t i = 0; i < n_sections; i++) {
        section *entry = &sections[i];
        lathe_status status = read_entry(data, i, name, entry, err);
        for (size_t j = 0; status == LATHE_OK && j < i; j++)
            if (strcmp(sections[j].name, entry->name) == 0)
                status =
                    lathe__error(err, LATHE_CORRUPT, "%s is corrupt (section \"%s\" appears twice)",
                                 name, entry->name);
        if (status == LATHE_OK)
            status =
                check_placement(data, size, entry, i ? &sections[i - 1] : NULL, end, name, err);
        if (status != LATHE_OK)
            return status;
        end = entry->offset + entry->length;
    }
    if (size > end)
        return lathe__error(err, LATHE_CORRUPT,
                            "%s is corrupt (%llu unexpected byte%s after the last section)", name,
                            (unsigned long long)(size - end), size - end == 1 ? "" : "s");
    return LATHE_OK;
}

static lathe_status check_payloads(const unsigned char *data, const section *sections,
                                   size_t n_sections, const char *name, lathe_error *err)
{
    for (size_t i = 0; i < n_sections; i++)
        if (checksum(data + sections[i].offset, (size_t)sections[i].length) != sections[i].crc)
            return lathe__error(err, LATHE_CORRUPT,
                                "%s: section \"%s\" is corrupt (checksum mismatch)", name,
                                sections[i].name);
    return LATHE_OK;
}

/* Every check, in order; fills sections[] and *n_sections. */
static lathe_status check_artifact(const unsigned char *data, size_t size, const char *name,
                                   section *sections, size_t *n_sections, lathe_error *err)
{
    lathe_status status = check_preamble(data, size, name, n_sections, err);
    if (status == LATHE_OK)
        status = check_header(data, *n_sections, name, err);
    if (status == LATHE_OK)
        status = check_table(data, size, *n_sections, name, sections, err);
    if (status == LATHE_OK)
        status = check_payloads(data, sections, *n_sections, name, err);
    return status;
}

/* ---- reading: opening ---- */

/*
 * Checks `data` and, if valid, returns a new artifact holding it: `owned`
 * (the same bytes, already the caller's to give) or else a copy. `owned`
 * is freed on failure.
 */
static lathe_status artifact_open(lathe_ctx *ctx, const unsigned char *data, size_t size,
                                  unsigned char *owned, const char *name, lathe__artifact **out,
                                  lathe_error *err)
{
    lathe__artifact *artifact = lathe__calloc(ctx, 1, sizeof *artifact);
    lathe_status status = artifact ? LATHE_OK : lathe__error_nomem(err);
    if (status != LATHE_OK)
        goto out;
    artifact->ctx = ctx;
    artifact->size = size;
    status = check_artifact(data, size, name, artifact->sections, &artifact->n_sections, err);
    if (status != LATHE_OK)
        goto out;
    artifact->data = owned ? owned : lathe__alloc(ctx, size);
    if (artifact->data && !owned)
        memcpy(artifact->data, data, size);
    owned = NULL; /* the artifact's now */
    artifact->source = lathe__strndup(ctx, name, strlen(name));
    if (!artifact->data || !artifact->source)
        status = lathe__error_nomem(err);
out:
    lathe__free(ctx, owned);
    if (status != LATHE_OK) {
        lathe__artifact_free(artifact);
        return status;
    }
    *out = artifact;
    return LATHE_OK;
}

lathe_status lathe__artifact_open_buffer(lathe_ctx *ctx, const void *data, size_t size,
                                         const char *name, lathe__artifact **out, lathe_error *err)
{
    return artifact_open(ctx, data, size, NULL, name ? name : "<buffer>", out, err);
}

/* Reads all of the regular file `fd` (at most the artifact size cap) into a new buffer. */
static lathe_status read_whole(lathe_ctx *ctx, int fd, const char *path, unsigned char **out,
                               size_t *out_size, lathe_error *err)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return lathe__error(err, LATHE_IO, "cannot read %s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return lathe__error(err, LATHE_IO, "%s is not a regular file", path);
    if ((uint64_t)st.st_size > LATHE__ARTIFACT_MAX_FILE_BYTES)
        return lathe__error(err, LATHE_LIMIT,
                            "%s is too large for a Lathe model (%lld bytes; the limit is 4 GiB)",
                            path, (long long)st.st_size);
    size_t size = (size_t)st.st_size, got = 0;
    unsigned char *data = lathe__alloc(ctx, size);
    if (!data)
        return lathe__error_nomem(err);
    while (got < size) {
        ssize_t n = read(fd, data + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int saved = errno;
            lathe__free(ctx, data);
            return lathe__error(err, LATHE_IO, "cannot read %s: %s", path, strerror(saved));
        }
        if (n == 0)
            break; /* the file shrank: check what is there */
        got += (size_t)n;
    }
    *out = data;
    *out_size = got;
    return LATHE_OK;
}

lathe_status lathe__artifact_open_file(lathe_ctx *ctx, const char *path, lathe__artifact **out,
                                       lathe_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return lathe__error(err, errno == ENOENT ? LATHE_NOT_FOUND : LATHE_IO, "cannot open %s: %s",
                            path, strerror(errno));
    unsigned char *data = NULL;
    size_t size = 0;
    lathe_status status = read_whole(ctx, fd, path, &data, &size, err);
    close(fd);
    if (status != LATHE_OK)
        return status;
    return artifact_open(ctx, data, size, data, path, out, err);
}

void lathe__artifact_free(lathe__artifact *artifact)
{
    if (!artifact)
        return;
    lathe__free(artifact->ctx, artifact->data);
    lathe__free(artifact->ctx, artifact->source);
    lathe__free(artifact->ctx, artifact);
}

/* ---- reading: sections ---- */

bool lathe__artifact_section(const lathe__artifact *artifact, const char *name, const void **data,
                             size_t *length)
{
    for (size_t i = 0; i < artifact->n_sections; i++) {
        if (strcmp(artifact->sections[i].name, name) == 0) {
            const char *found_name;
            lathe__artifact_section_at(artifact, i, &found_name, data, length);
            return true;
        }
    }
    return false;
}

size_t lathe__artifact_n_sections(const lathe__artifact *artifact)
{
    return artifact->n_sections;
}

void lathe__artifact_section_at(const lathe__artifact *artifact, size_t index, const char **name,
                                const void **data, size_t *length)
{
    const section *found = &artifact->sections[index];
    *name = found->name;
    *data = artifact->data + found->offset;
    *length = (size_t)found->length;
}

const char *lathe__artifact_source(const lathe__artifact *artifact)
{
    return artifact->source;
}
