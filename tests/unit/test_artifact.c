/*
 * test_artifact.c: the model artifact container.
 *
 * The byte layout is parsed here independently (zlib's crc32 is the
 * format's checksum, so the test calls it directly), every rejection the
 * loader makes is provoked with a hand-edited file whose header checksum is
 * recomputed so the check under test is the one that fires, and hostile
 * inputs come from 1,000 seeded random byte edits and every truncation.
 *
 * The test artifact has four sections whose lengths force padding:
 *   schema 13 bytes at 184, model 100 at 200, empty 0 at 304, metrics 21
 *   at 304; 325 bytes in all, padding at 197..199 and 300..303.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/buf.h"
#include "core/internal.h"
#include "harness.h"
#include "store/artifact.h"

#define NAME "t.lathe"
#define N_SECTIONS 4
#define HEADER_BYTES 184
#define FILE_BYTES 325

static const char *const section_names[N_SECTIONS] = {"schema", "model", "empty", "metrics"};
static const size_t section_lengths[N_SECTIONS] = {13, 100, 0, 21};
static const uint64_t section_offsets[N_SECTIONS] = {184, 200, 304, 304};

/* The deterministic contents of section `index`, byte `i`. */
static unsigned char content(size_t index, size_t i)
{
    return (unsigned char)(index * 31 + i * 7 + 1);
}

static lathe__artifact_writer *test_writer(lathe_ctx *ctx)
{
    lathe__artifact_writer *writer = NULL;
    lathe_error err;
    if (lathe__artifact_writer_new(ctx, &writer, &err) != LATHE_OK)
        return NULL;
    for (size_t s = 0; s < N_SECTIONS; s++) {
        unsigned char bytes[128];
        for (size_t i = 0; i < section_lengths[s]; i++)
            bytes[i] = content(s, i);
        if (lathe__artifact_writer_add(writer, section_names[s], bytes, section_lengths[s], &err) !=
            LATHE_OK) {
            lathe__artifact_writer_free(writer);
            return NULL;
        }
    }
    return writer;
}

/* A malloc'd copy of the test artifact's bytes; *size gets its length. */
static unsigned char *test_artifact_bytes(size_t *size)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe__artifact_writer *writer = test_writer(ctx);
    lathe__wbuf out;
    lathe__wbuf_init(&out, ctx);
    lathe_error err;
    unsigned char *copy = NULL;
    if (writer && lathe__artifact_write_buffer(writer, &out, &err) == LATHE_OK) {
        copy = malloc(out.length);
        memcpy(copy, out.data, out.length);
        *size = out.length;
    }
    lathe__wbuf_release(&out);
    lathe__artifact_writer_free(writer);
    lathe_ctx_free(ctx);
    return copy;
}

/* Returns true if `artifact` holds exactly the test sections, in order. */
static bool holds_test_sections(const lathe__artifact *artifact)
{
    if (lathe__artifact_n_sections(artifact) != N_SECTIONS)
        return false;
    for (size_t s = 0; s < N_SECTIONS; s++) {
        const char *name;
        const void *data, *found;
        size_t length, found_length;
        lathe__artifact_section_at(artifact, s, &name, &data, &length);
        if (strcmp(name, section_names[s]) != 0 || length != section_lengths[s] || !data)
            return false;
        for (size_t i = 0; i < length; i++)
            if (((const unsigned char *)data)[i] != content(s, i))
                return false;
        if (!lathe__artifact_section(artifact, section_names[s], &found, &found_length) ||
            found != data || found_length != length)
            return false;
    }
    return true;
}

static uint32_t get32(const unsigned char *at)
{
    return (uint32_t)at[0] | (uint32_t)at[1] << 8 | (uint32_t)at[2] << 16 | (uint32_t)at[3] << 24;
}

static uint64_t get64(const unsigned char *at)
{
    return (uint64_t)get32(at) | (uint64_t)get32(at + 4) << 32;
}

static void put32(unsigned char *at, uint32_t value)
{
    for (int i = 0; i < 4; i++)
        at[i] = (unsigned char)(value >> (8 * i));
}

static void put64(unsigned char *at, uint64_t value)
{
    put32(at, (uint32_t)value);
    put32(at + 4, (uint32_t)(value >> 32));
}

/* The table entry of section `index`. */
static unsigned char *entry(unsigned char *bytes, size_t index)
{
    return bytes + 20 + 40 * index;
}

/* Recomputes the header checksum of a hand-edited artifact with `n_sections` entries. */
static void fix_header_crc(unsigned char *bytes, size_t n_sections)
{
    size_t covered = 20 + 40 * n_sections;
    put32(bytes + covered, (uint32_t)crc32(0, bytes, (uInt)covered));
}

/*
 * Opens bytes[0..size) and returns 1 if it is refused with `status` and
 * exactly `message`; prints what happened otherwise.
 */
static int refused_with(const unsigned char *bytes, size_t size, lathe_status status,
                        const char *message)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe__artifact *artifact = NULL;
    lathe_error err;
    lathe_error_clear(&err);
    lathe_status got = lathe__artifact_open_buffer(ctx, bytes, size, NAME, &artifact, &err);
    int ok = got == status && strcmp(err.message, message) == 0 &&
             (artifact != NULL) == (status == LATHE_OK);
    if (!ok)
        fprintf(stderr, "  expected %d \"%s\"\n  got      %d \"%s\"\n", (int)status, message,
                (int)got, err.message);
    lathe__artifact_free(artifact);
    lathe_ctx_free(ctx);
    return ok;
}

/* ---- writing and reading back ---- */

TEST(layout_is_the_documented_one)
{
    size_t size = 0;
    unsigned char *bytes = test_artifact_bytes(&size);
    CHECK(bytes);
    bool magic = memcmp(bytes, "LATHEMDL", 8) == 0;
    uint32_t version = get32(bytes + 8), flags = get32(bytes + 12), count = get32(bytes + 16);
    uint32_t header_crc = get32(bytes + 180);
    size_t wrong = 0;
    for (size_t s = 0; s < N_SECTIONS; s++) {
        const unsigned char *at = entry(bytes, s);
        char name[17] = {0};
        memcpy(name, at, 16);
        uint64_t offset = get64(at + 16), length = get64(at + 24);
        bool padded = true;
        for (size_t i = strlen(name); i < 16; i++)
            padded = padded && at[i] == 0;
        wrong += strcmp(name, section_names[s]) != 0 || !padded;
        wrong += offset != section_offsets[s] || offset % 8 != 0 || length != section_lengths[s];
        wrong += get32(at + 32) != (uint32_t)crc32(0, bytes + offset, (uInt)length);
        wrong += get32(at + 36) != 0;
    }
    bool zero_padding = bytes[197] == 0 && bytes[198] == 0 && bytes[199] == 0 && bytes[300] == 0 &&
                        bytes[301] == 0 && bytes[302] == 0 && bytes[303] == 0;
    uint32_t expected_crc = (uint32_t)crc32(0, bytes, 180);
    free(bytes);
    CHECK(magic);
    CHECK_EQ(version, 1);
    CHECK_EQ(flags, 0);
    CHECK_EQ(count, N_SECTIONS);
    CHECK_EQ(header_crc, expected_crc);
    CHECK_EQ(wrong, 0);
    CHECK(zero_padding);
    CHECK_EQ(size, FILE_BYTES);
}

TEST(buffer_round_trip)
{
    size_t size = 0;
    unsigned char *bytes = test_artifact_bytes(&size);
    CHECK(bytes);
    lathe_ctx *ctx = lathe_ctx_new();
    lathe__artifact *artifact = NULL;
    lathe_error err;
    lathe_status status = lathe__artifact_open_buffer(ctx, bytes, size, NAME, &artifact, &err);
    memset(bytes, 0xee, size); /* the artifact keeps its own copy */
    free(bytes);
    CHECK_MSG(status == LATHE_OK, "%s", err.message);
    bool same = holds_test_sections(artifact);
    const void *data = NULL;
    size_t length = 0;
    bool absent = !lathe__artifact_section(artifact, "lineage", &data, &length);
    bool prefix_absent = !lathe__artifact_section(artifact, "mod", &data, &length);
    char source[64];
    snprintf(source, sizeof source, "%s", lathe__artifact_source(artifact));
    lathe__artifact_free(artifact);
    lathe_ctx_free(ctx);
    CHECK(same);
    CHECK(absent);
    CHECK(prefix_absent);
    CHECK_STR(source, NAME);
}

TEST(artifact_without_sections_and_with_the_most_sections)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe__artifact_writer *writer = NULL;
    lathe__artifact *artifact = NULL;
    lathe__wbuf out;
    lathe__wbuf_init(&out, ctx);
    lathe_error err;
    CHECK_OK(lathe__artifact_writer_new(ctx, &writer, &err), err);
    CHECK_OK(lathe__artifact_write_buffer(writer, &out, &err), err);
    size_t empty_size = out.length;
    lathe_status empty_status =
        lathe__artifact_open_buffer(ctx, out.data, out.length, NAME, &artifact, &err);
    size_t empty_n = artifact ? lathe__artifact_n_sections(artifact) : 99;
    lathe__artifact_free(artifact);
    artifact = NULL;
    for (int i = 0; i < LATHE__ARTIFACT_MAX_SECTIONS; i++) {
        char name[17];
        snprintf(name, sizeof name, "s%02d-%s", i, i % 2 ? "sixteen-char" : "x");
        if (lathe__artifact_writer_add(writer, name, name, strlen(name), &err) != LATHE_OK)
            break;
    }
    lathe__wbuf_release(&out);
    lathe__wbuf_init(&out, ctx);
    lathe_status write_status = lathe__artifact_write_buffer(writer, &out, &err);
    lathe_status full_status =
        lathe__artifact_open_buffer(ctx, out.data, out.length, NAME, &artifact, &err);
    const void *data = NULL;
    size_t length = 0;
    bool found = artifact && lathe__artifact_section(artifact, "s63-sixteen-char", &data, &length);
    size_t full_n = artifact ? lathe__artifact_n_sections(artifact) : 0;
    bool same = found && length == 16 && memcmp(data, "s63-sixteen-char", 16) == 0;
    lathe__artifact_free(artifact);
    lathe__wbuf_release(&out);
    lathe__artifact_writer_free(writer);
    lathe_ctx_free(ctx);
    CHECK_EQ(empty_size, 24);
    CHECK_EQ(empty_status, LATHE_OK);
    CHECK_EQ(empty_n, 0);
    CHECK_EQ(write_status, LATHE_OK);
    CHECK_MSG(full_status == LATHE_OK, "%s", err.message);
    CHECK_EQ(full_n, LATHE__ARTIFACT_MAX_SECTIONS);
    CHECK(same);
}

TEST(take_moves_a_wbuf_without_copying)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe__artifact_writer *writer = NULL;
    lathe_error err;
    CHECK_OK(lathe__artifact_writer_new(ctx, &writer, &err), err);
    lathe__wbuf buf;
    lathe__wbuf_init(&buf, ctx);
    lathe__wbuf_cstring(&buf, "coefficients");
    lathe__wbuf_f64(&buf, -0.25);
    size_t written = buf.length;
    lathe_status taken = lathe__artifact_writer_take(writer, "model", &buf, &err);
    bool emptied = buf.data == NULL && buf.length == 0;
    lathe__wbuf_init(&buf, ctx); /* an empty buffer makes an empty section */
    lathe_status taken_empty = lathe__artifact_writer_take(writer, "empty", &buf, &err);
    lathe__wbuf failed;
    lathe__wbuf_init(&failed, ctx);
    lathe__wbuf_u8(&failed, 1);
    failed.failed = true;
    lathe_error failed_err;
    lathe_status taken_failed = lathe__artifact_writer_take(writer, "other", &failed, &failed_err);
    bool untouched = failed.data != NULL && failed.length == 1;
    lathe__wbuf_release(&failed);

    lathe__wbuf out;
    lathe__wbuf_init(&out, ctx);
    lathe__artifact *artifact = NULL;
    lathe_status status = lathe__artifact_write_buffer(writer, &out, &err);
    if (status == LATHE_OK)
        status = lathe__artifact_open_buffer(ctx, out.data, out.length, NAME, &artifact, &err);
    lathe__rbuf in;
    const void *data = NULL;
    size_t length = 0;
    bool found = artifact && lathe__artifact_section(artifact, "model", &data, &length);
    lathe__rbuf_init(&in, data, length, "model section");
    char *text = found ? lathe__rbuf_string(&in, ctx, 64) : NULL;
    double value = lathe__rbuf_f64(&in);
    bool same = text && strcmp(text, "coefficients") == 0 && value == -0.25 && length == written;
    lathe__free(ctx, text);
    size_t n_sections = artifact ? lathe__artifact_n_sections(artifact) : 0;
    lathe__artifact_free(artifact);
    lathe__wbuf_release(&out);
    lathe__artifact_writer_free(writer);
    lathe_ctx_free(ctx);
    CHECK_EQ(taken, LATHE_OK);
    CHECK(emptied);
    CHECK_EQ(taken_empty, LATHE_OK);
    CHECK_EQ(taken_failed, LATHE_NOMEM);
    CHECK(untouched);
    CHECK_EQ(status, LATHE_OK);
    CHECK_EQ(n_sections, 2);
    CHECK(same);
}

TEST(writer_refuses_bad_names_repeats_and_too_many_sections)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe__artifact_writer *writer = NULL;
    lathe_error err;
    CHECK_OK(lathe__artifact_writer_new(ctx, &writer, &err), err);
    static const char *const bad[] = {"", "seventeen-chars-x", "has space", "caf\xc3\xa9", "tab\t"};
    size_t accepted = 0;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        accepted += lathe__artifact_writer_add(writer, bad[i], "x", 1, &err) != LATHE_INVALID;
    char bad_message[LATHE_ERROR_MESSAGE_MAX];
    snprintf(bad_message, sizeof bad_message, "%s", err.message);
    lathe_status first = lathe__artifact_writer_add(writer, "model", "x", 1, &err);
    lathe_status again = lathe__artifact_writer_add(writer, "model", "y", 1, &err);
    char again_message[LATHE_ERROR_MESSAGE_MAX];
    snprintf(again_message, sizeof again_message, "%s", err.message);
    for (int i = 1; i < LATHE__ARTIFACT_MAX_SECTIONS; i++) {
        char name[16];
        snprintf(name, sizeof name, "s%d", i);
        accepted += lathe__artifact_writer_add(writer, name, NULL, 0, &err) != LATHE_OK;
    }
    lathe_status too_many = lathe__artifact_writer_add(writer, "one-more", "z", 1, &err);
    lathe__artifact_writer_free(writer);
    lathe_ctx_free(ctx);
    CHECK_EQ(accepted, 0);
    CHECK_STR(bad_message, "bad artifact section name \"tab\t\" (1 to 16 printable ASCII "
                           "characters, no spaces)");
    CHECK_EQ(first, LATHE_OK);
    CHECK_EQ(again, LATHE_INVALID);
    CHECK_STR(again_message, "artifact section \"model\" added twice");
    CHECK_EQ(too_many, LATHE_INVALID);
    CHECK_STR(err.message, "an artifact holds at most 64 sections");
}

/* ---- files ---- */

/* Names in `folder` other than . and ..; returns how many, the first in `first`. */
static int list_folder(const char *folder, char *first, size_t first_size)
{
    DIR *dir = opendir(folder);
    int n = 0;
    first[0] = '\0';
    for (struct dirent *item; dir && (item = readdir(dir));) {
        if (strcmp(item->d_name, ".") == 0 || strcmp(item->d_name, "..") == 0)
            continue;
        if (n++ == 0)
            snprintf(first, first_size, "%s", item->d_name);
    }
    if (dir)
        closedir(dir);
    return n;
}

TEST(file_round_trip_replaces_atomically_and_leaves_no_temporaries)
{
    char folder[] = "/tmp/lathe-artifact-XXXXXX";
    CHECK(mkdtemp(folder));
    char path[128], first[256];
    snprintf(path, sizeof path, "%s/model.lathe", folder);
    lathe_ctx *ctx = lathe_ctx_new();
    lathe__artifact_writer *old_writer = NULL, *writer = test_writer(ctx);
    lathe__artifact *artifact = NULL;
    lathe_error err;
    /* An older artifact is there first; the new one replaces it. */
    mode_t old_umask = umask(027);
    lathe_status status = lathe__artifact_writer_new(ctx, &old_writer, &err);
    if (status == LATHE_OK)
        status = lathe__artifact_writer_add(old_writer, "model", "old", 3, &err);
    if (status == LATHE_OK)
        status = lathe__artifact_write_file(old_writer, path, &err);
    if (status == LATHE_OK && writer)
        status = lathe__artifact_write_file(writer, path, &err);
    umask(old_umask);
    struct stat st;
    int stat_ok = stat(path, &st) == 0;
    if (status == LATHE_OK)
        status = lathe__artifact_open_file(ctx, path, &artifact, &err);
    bool same = artifact && holds_test_sections(artifact);
    char source[128] = "";
    if (artifact)
        snprintf(source, sizeof source, "%s", lathe__artifact_source(artifact));
    int n_files = list_folder(folder, first, sizeof first);
    lathe__artifact_free(artifact);
    lathe__artifact_writer_free(old_writer);
    lathe__artifact_writer_free(writer);
    lathe_ctx_free(ctx);
    unlink(path);
    rmdir(folder);
    CHECK_MSG(status == LATHE_OK, "%s", err.message);
    CHECK(same);
    CHECK_STR(source, path);
    CHECK_EQ(n_files, 1);
    CHECK_STR(first, "model.lathe");
    CHECK(stat_ok);
    CHECK_EQ(st.st_mode & 0777, 0640);
    CHECK_EQ(st.st_size, FILE_BYTES);
}

TEST(failed_write_keeps_what_was_there_and_cleans_up)
{
    char folder[] = "/tmp/lathe-artifact-XXXXXX";
    CHECK(mkdtemp(folder));
    char target[128], missing[128], first[256];
    /* The target is a non-empty folder: the final rename must fail. */
    snprintf(target, sizeof target, "%s/model.lathe", folder);
    snprintf(missing, sizeof missing, "%s/no/such/folder/model.lathe", folder);
    char keep[160];
    snprintf(keep, sizeof keep, "%s/keep", target);
    int made = mkdir(target, 0755) == 0;
    FILE *keep_file = fopen(keep, "w");
    if (keep_file)
        fclose(keep_file);
    lathe_ctx *ctx = lathe_ctx_new();
    lathe__artifact_writer *writer = test_writer(ctx);
    lathe_error err, missing_err;
    lathe_status status = writer ? lathe__artifact_write_file(writer, target, &err) : LATHE_OK;
    lathe_status missing_status =
        writer ? lathe__artifact_write_file(writer, missing, &missing_err) : LATHE_OK;
    int n_files = list_folder(folder, first, sizeof first);
    int kept = access(keep, F_OK) == 0;
    lathe__artifact_writer_free(writer);
    lathe_ctx_free(ctx);
    unlink(keep);
    rmdir(target);
    rmdir(folder);
    CHECK(made);
    CHECK_EQ(status, LATHE_IO);
    CHECK_HAS(err.message, "cannot rename ");
    CHECK_HAS(err.message, ".tmp-");
    CHECK_HAS(err.message, " to /tmp/lathe-artifact-");
    CHECK_EQ(n_files, 1); /* the folder, and no temporary file */
    CHECK_STR(first, "model.lathe");
    CHECK(kept);
    CHECK_EQ(missing_status, LATHE_NOT_FOUND);
    CHECK_HAS(missing_err.message, "cannot create a temporary file next to ");
    CHECK_HAS(missing_err.message, "model.lathe: No such file or directory");
}

TEST(opening_files_that_are_not_there_or_not_files)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe__artifact *artifact = NULL;
    lathe_error err;
    lathe_status missing = lathe__artifact_open_file(ctx, "/nonexistent/m.lathe", &artifact, &err);
    char missing_message[LATHE_ERROR_MESSAGE_MAX];
    snprintf(missing_message, sizeof missing_message, "%s", err.message);
    lathe_status folder = lathe__artifact_open_file(ctx, "/tmp", &artifact, &err);
    lathe_ctx_free(ctx);
    CHECK(artifact == NULL);
    CHECK_EQ(missing, LATHE_NOT_FOUND);
    CHECK_STR(missing_message, "cannot open /nonexistent/m.lathe: No such file or directory");
    CHECK_EQ(folder, LATHE_IO);
    CHECK_STR(err.message, "/tmp is not a regular file");
}

TEST(file_checks_use_the_path_in_messages)
{
    char path[] = "/tmp/lathe-artifact-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    ssize_t written = write(fd, "id,label\n1,0\n", 13);
    close(fd);
    lathe_ctx *ctx = lathe_ctx_new();
    lathe__artifact *artifact = NULL;
    lathe_error err;
    lathe_status status = lathe__artifact_open_file(ctx, path, &artifact, &err);
    lathe_ctx_free(ctx);
    unlink(path);
    char expected[128];
    snprintf(expected, sizeof expected, "%s is not a Lathe model (bad magic)", path);
    CHECK_EQ(written, 13);
    CHECK_EQ(status, LATHE_PARSE);
    CHECK_STR(err.message, expected);
}

/* ---- every rejection, with its message ---- */

TEST(rejects_what_is_not_an_artifact)
{
    size_t size;
    unsigned char *bytes = test_artifact_bytes(&size);
    CHECK(bytes);
    int ok = refused_with(bytes, 0, LATHE_PARSE, NAME " is empty, not a Lathe model");
    ok &= refused_with((const unsigned char *)"id,label\n", 9, LATHE_PARSE,
                       NAME " is not a Lathe model (bad magic)");
    ok &= refused_with((const unsigned char *)"LATHE", 5, LATHE_CORRUPT,
                       NAME " is truncated: 5 bytes, shorter than the smallest header (24)");
    ok &= refused_with((const unsigned char *)"LATHX", 5, LATHE_PARSE,
                       NAME " is not a Lathe model (bad magic)");
    ok &= refused_with(bytes, 100, LATHE_CORRUPT,
                       NAME " is truncated: 100 bytes, shorter than its 184-byte header");
    free(bytes);
    CHECK(ok);
}

TEST(rejects_newer_formats_and_unknown_flags)
{
    size_t size;
    unsigned char *bytes = test_artifact_bytes(&size);
    CHECK(bytes);
    put32(bytes + 8, 7); /* no checksum fix: the version is checked first */
    int ok =
        refused_with(bytes, size, LATHE_UNSUPPORTED,
                     NAME " was written by a newer Lathe (format 7; this build reads up to 1)");
    put32(bytes + 8, 0);
    ok &= refused_with(bytes, size, LATHE_CORRUPT, NAME " is corrupt (format version 0)");
    put32(bytes + 8, 1);
    put32(bytes + 12, 4);
    ok &= refused_with(bytes, size, LATHE_CORRUPT, NAME " is corrupt (header checksum mismatch)");
    fix_header_crc(bytes, N_SECTIONS);
    ok &= refused_with(bytes, size, LATHE_UNSUPPORTED,
                       NAME " uses features this build does not know (flags 0x00000004)");
    free(bytes);
    CHECK(ok);
}

TEST(rejects_bad_section_counts_and_names)
{
    size_t size;
    unsigned char *bytes = test_artifact_bytes(&size);
    CHECK(bytes);
    put32(bytes + 16, 65);
    int ok = refused_with(bytes, size, LATHE_CORRUPT,
                          NAME " is corrupt (65 sections; at most 64 allowed)");
    put32(bytes + 16, N_SECTIONS);
    entry(bytes, 1)[2] = 0x07;
    fix_header_crc(bytes, N_SECTIONS);
    ok &= refused_with(bytes, size, LATHE_CORRUPT,
                       NAME " is corrupt (the name of section 2 is not printable ASCII)");
    entry(bytes, 1)[2] = 'd';
    entry(bytes, 1)[9] = 'x'; /* hidden after the NUL that ends "model" */
    fix_header_crc(bytes, N_SECTIONS);
    ok &= refused_with(bytes, size, LATHE_CORRUPT,
                       NAME " is corrupt (the name of section 2 is not printable ASCII)");
    entry(bytes, 1)[9] = 0;
    memset(entry(bytes, 2), 0, 16); /* an empty name */
    fix_header_crc(bytes, N_SECTIONS);
    ok &= refused_with(bytes, size, LATHE_CORRUPT,
                       NAME " is corrupt (the name of section 3 is not printable ASCII)");
    memcpy(entry(bytes, 2), "schema", 6);
    fix_header_crc(bytes, N_SECTIONS);
    ok &= refused_with(bytes, size, LATHE_CORRUPT,
                       NAME " is corrupt (section \"schema\" appears twice)");
    memset(entry(bytes, 2), 0, 16);
    memcpy(entry(bytes, 2), "empty", 5);
    put32(entry(bytes, 3) + 36, 1);
    fix_header_crc(bytes, N_SECTIONS);
    ok &= refused_with(bytes, size, LATHE_CORRUPT,
                       NAME " is corrupt (section \"metrics\" has nonzero reserved bytes)");
    free(bytes);
    CHECK(ok);
}

/* Sets section `index`'s offset and length, fixes the header checksum, and checks the refusal. */
static int placement_refused(unsigned char *original, size_t size, size_t index, uint64_t offset,
                             uint64_t length, const char *message)
{
    unsigned char *bytes = malloc(size);
    memcpy(bytes, original, size);
    put64(entry(bytes, index) + 16, offset);
    put64(entry(bytes, index) + 24, length);
    fix_header_crc(bytes, N_SECTIONS);
    int ok = refused_with(bytes, size, LATHE_CORRUPT, message);
    free(bytes);
    return ok;
}

TEST(rejects_sections_outside_overlapping_or_misplaced)
{
    size_t size;
    unsigned char *bytes = test_artifact_bytes(&size);
    CHECK(bytes);
    int ok = placement_refused(bytes, size, 1, 1ull << 40, 100,
                               NAME " is corrupt (section \"model\" lies outside the file)");
    ok &= placement_refused(bytes, size, 1, 200, UINT64_MAX - 100,
                            NAME " is corrupt (section \"model\" lies outside the file)");
    ok &= placement_refused(bytes, size, 1, 200, 1000,
                            NAME " is truncated: section \"model\" ends at byte 1200, past the "
                                 "end of the file (325 bytes)");
    ok &= placement_refused(bytes, size, 0, 0, 13,
                            NAME " is corrupt (section \"schema\" overlaps the section table)");
    ok &= placement_refused(bytes, size, 1, 192, 100,
                            NAME " is corrupt (section \"model\" overlaps section \"schema\")");
    ok &= placement_refused(bytes, size, 3, 312, 13,
                            NAME " is corrupt (section \"metrics\" starts at byte 312, not 304)");
    ok &= placement_refused(bytes, size, 3, 304, 20,
                            NAME " is corrupt (1 unexpected byte after the last section)");
    CHECK(ok);
    bytes[198] = 0x20;
    ok &=
        refused_with(bytes, size, LATHE_CORRUPT, NAME " is corrupt (nonzero padding at byte 198)");
    bytes[198] = 0;
    unsigned char *longer = malloc(size + 3);
    memcpy(longer, bytes, size);
    memset(longer + size, 0, 3);
    ok &= refused_with(longer, size + 3, LATHE_CORRUPT,
                       NAME " is corrupt (3 unexpected bytes after the last section)");
    free(longer);
    free(bytes);
    CHECK(ok);
}

TEST(rejects_payload_checksum_mismatch_and_truncated_sections)
{
    size_t size;
    unsigned char *bytes = test_artifact_bytes(&size);
    CHECK(bytes);
    bytes[250] ^= 0x10;
    int ok = refused_with(bytes, size, LATHE_CORRUPT,
                          NAME ": section \"model\" is corrupt (checksum mismatch)");
    bytes[250] ^= 0x10;
    bytes[size - 1] ^= 0x01;
    ok &= refused_with(bytes, size, LATHE_CORRUPT,
                       NAME ": section \"metrics\" is corrupt (checksum mismatch)");
    bytes[size - 1] ^= 0x01;
    ok &= refused_with(bytes, 250, LATHE_CORRUPT,
                       NAME " is truncated: section \"model\" ends at byte 300, past the end of "
                            "the file (250 bytes)");
    ok &= refused_with(bytes, 302, LATHE_CORRUPT,
                       NAME " is truncated: section \"empty\" ends at byte 304, past the end of "
                            "the file (302 bytes)");
    ok &= refused_with(bytes, size, LATHE_OK, ""); /* restored: must open again */
    free(bytes);
    CHECK(ok);
}

/* ---- running out of memory ---- */

static long allocations_left; /* -1: unlimited */

static void *failing_malloc(void *user, size_t size)
{
    (void)user;
    if (allocations_left == 0)
        return NULL;
    if (allocations_left > 0)
        allocations_left--;
    return malloc(size);
}

static void *failing_realloc(void *user, void *ptr, size_t size)
{
    if (!ptr)
        return failing_malloc(user, size);
    if (allocations_left == 0)
        return NULL;
    if (allocations_left > 0)
        allocations_left--;
    return realloc(ptr, size);
}

static void failing_free(void *user, void *ptr)
{
    (void)user;
    free(ptr);
}

/* Writes and reopens the test artifact with `budget` allocations; the first failure's status. */
static lathe_status round_trip_with_budget(long budget, const char *path)
{
    lathe_allocator allocator = {failing_malloc, failing_realloc, failing_free, NULL};
    allocations_left = -1;
    lathe_ctx *ctx = lathe_ctx_new_with_allocator(&allocator);
    allocations_left = budget;
    lathe__artifact_writer *writer = test_writer(ctx);
    lathe__artifact *from_buffer = NULL, *from_file = NULL;
    lathe__wbuf out;
    lathe__wbuf_init(&out, ctx);
    lathe_error err;
    lathe_status status = writer ? LATHE_OK : LATHE_NOMEM;
    if (status == LATHE_OK)
        status = lathe__artifact_write_buffer(writer, &out, &err);
    if (status == LATHE_OK)
        status = lathe__artifact_open_buffer(ctx, out.data, out.length, NAME, &from_buffer, &err);
    if (status == LATHE_OK)
        status = lathe__artifact_write_file(writer, path, &err);
    if (status == LATHE_OK)
        status = lathe__artifact_open_file(ctx, path, &from_file, &err);
    if (status == LATHE_OK && !(holds_test_sections(from_buffer) && holds_test_sections(from_file)))
        status = LATHE_CORRUPT;
    lathe__artifact_free(from_buffer);
    lathe__artifact_free(from_file);
    lathe__wbuf_release(&out);
    lathe__artifact_writer_free(writer);
    lathe_ctx_free(ctx);
    allocations_left = -1;
    return status;
}

TEST(every_failed_allocation_is_out_of_memory_without_leaks)
{
    char folder[] = "/tmp/lathe-artifact-XXXXXX";
    CHECK(mkdtemp(folder));
    char path[128];
    snprintf(path, sizeof path, "%s/m.lathe", folder);
    size_t wrong = 0;
    long budget = 0;
    lathe_status status = LATHE_NOMEM;
    for (; budget < 200 && status == LATHE_NOMEM; budget++) {
        status = round_trip_with_budget(budget, path);
        wrong += status != LATHE_NOMEM && status != LATHE_OK;
    }
    unlink(path);
    rmdir(folder);
    CHECK_EQ(wrong, 0);
    CHECK_EQ(status, LATHE_OK);
    CHECK(budget > 10); /* the failures above really did hit each allocation */
}

/* ---- hostile bytes ---- */

/*
 * Bytes the loader need not look at. Format 1 has none: padding and
 * reserved fields must be zero and everything else is checksummed, so any
 * edit must be refused. (If a later format adds slack, list it here.)
 */
static bool is_slack(size_t offset)
{
    (void)offset;
    return false;
}

static uint64_t next_random(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

TEST(random_byte_edits_are_refused_with_a_message)
{
    size_t size;
    unsigned char *bytes = test_artifact_bytes(&size);
    CHECK(bytes);
    unsigned char *edited = malloc(size);
    lathe_ctx *ctx = lathe_ctx_new();
    uint64_t state = 0x5eed1a7e;
    size_t bad = 0, refused = 0;
    for (int trial = 0; trial < 1000; trial++) {
        memcpy(edited, bytes, size);
        size_t at = (size_t)(next_random(&state) % size);
        edited[at] ^= (unsigned char)(1 + next_random(&state) % 255);
        lathe__artifact *artifact = NULL;
        lathe_error err;
        lathe_error_clear(&err);
        lathe_status status = lathe__artifact_open_buffer(ctx, edited, size, NAME, &artifact, &err);
        bool fine = status == LATHE_OK
                        ? is_slack(at) && holds_test_sections(artifact)
                        : artifact == NULL && strncmp(err.message, NAME, strlen(NAME)) == 0;
        if (!fine && bad++ < 5)
            fprintf(stderr, "  byte %zu: status %d \"%s\"\n", at, (int)status, err.message);
        refused += status != LATHE_OK;
        lathe__artifact_free(artifact);
    }
    lathe_ctx_free(ctx);
    free(edited);
    free(bytes);
    CHECK_EQ(bad, 0);
    CHECK_EQ(refused, 1000);
}

TEST(truncation_at_every_length_is_refused)
{
    size_t size;
    unsigned char *bytes = test_artifact_bytes(&size);
    CHECK(bytes);
    lathe_ctx *ctx = lathe_ctx_new();
    size_t bad = 0;
    for (size_t cut = 0; cut < size; cut++) {
        /* Exactly `cut` bytes on the heap, so ASan catches any read past them. */
        unsigned char *prefix = malloc(cut ? cut : 1);
        memcpy(prefix, bytes, cut);
        lathe__artifact *artifact = NULL;
        lathe_error err;
        lathe_error_clear(&err);
        lathe_status status = lathe__artifact_open_buffer(ctx, prefix, cut, NAME, &artifact, &err);
        bool expected =
            cut == 0 ? status == LATHE_PARSE
                     : status == LATHE_CORRUPT &&
                           strncmp(err.message,
                                   NAME " is truncated: ", strlen(NAME " is truncated: ")) == 0;
        if (!expected && bad++ < 5)
            fprintf(stderr, "  cut %zu: status %d \"%s\"\n", cut, (int)status, err.message);
        lathe__artifact_free(artifact);
        free(prefix);
    }
    lathe_ctx_free(ctx);
    free(bytes);
    CHECK_EQ(bad, 0);
}
