/*
 * artifact.h: the one-file model artifact container (internal).
 *
 * An artifact holds data, never code: named binary sections (schema,
 * pipeline, model, reference statistics, metrics, lineage), each with its
 * length and CRC-32. Components serialize into a lathe__wbuf, the writer
 * collects the buffers, and a loader reads each section back through a
 * lathe__rbuf. The loader treats every file as hostile.
 *
 * Layout of format 1, all integers little-endian:
 *
 *   0   magic "LATHEMDL" (8 bytes)
 *   8   u32 format version (1)
 *   12  u32 flags (0; any other value is refused)
 *   16  u32 section count (at most LATHE__ARTIFACT_MAX_SECTIONS)
 *   20  the section table, 40 bytes per section:
 *         name     16 bytes of printable ASCII, NUL-padded
 *         offset   u64, from the start of the file
 *         length   u64
 *         crc32    u32 of the payload (zlib's crc32)
 *         reserved u32 (0)
 *   20 + 40n  u32 crc32 of every byte before it
 *   24 + 40n  the payloads in table order, each starting at the next
 *             multiple of 8 with zero bytes between, and nothing after the
 *             last one
 *
 * There is exactly one valid encoding of a given list of sections: the
 * loader checks every byte (padding and reserved fields included), so no
 * bytes in a file go unchecked and none can hide there.
 *
 * Thread-safety: a writer belongs to one thread at a time; an opened
 * artifact is immutable and may be read from many threads at once.
 */
#ifndef LATHE_ARTIFACT_H
#define LATHE_ARTIFACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "lathe/core.h"

#define LATHE__ARTIFACT_MAGIC "LATHEMDL"
#define LATHE__ARTIFACT_FORMAT 1u
/* Section names: 1 to 16 printable ASCII characters other than space. */
#define LATHE__ARTIFACT_NAME_MAX 16
#define LATHE__ARTIFACT_MAX_SECTIONS 64
/* lathe__artifact_open_file refuses larger files. */
#define LATHE__ARTIFACT_MAX_FILE_BYTES ((uint64_t)4 << 30)

/* ---- writing ---- */

typedef struct lathe__artifact_writer lathe__artifact_writer;

lathe_status lathe__artifact_writer_new(lathe_ctx *ctx, lathe__artifact_writer **out,
                                        lathe_error *err);
void lathe__artifact_writer_free(lathe__artifact_writer *writer);

/*
 * Adds a section holding a copy of data[0..length). Sections are written in
 * the order they are added. LATHE_INVALID for a bad or repeated name or a
 * 65th section.
 */
lathe_status lathe__artifact_writer_add(lathe__artifact_writer *writer, const char *name,
                                        const void *data, size_t length, lathe_error *err);

/*
 * Adds a section holding the contents of `buf` without copying them (buf
 * must use the writer's context). On success `buf` is left empty, ready to
 * reuse or release; on failure (including a failed write into `buf`,
 * reported as LATHE_NOMEM) it is left as it was, so release it either way.
 */
lathe_status lathe__artifact_writer_take(lathe__artifact_writer *writer, const char *name,
                                         lathe__wbuf *buf, lathe_error *err);

/*
 * Writes the artifact to `path` atomically: into "PATH.tmp-XXXXXX" in the
 * same folder, synced to disk, renamed over `path`, and the folder synced.
 * A crash leaves either the old file or the new one, never half of one;
 * a failure removes the temporary file and leaves `path` as it was. The
 * file's permissions are 0666 less the process umask. If `path` is a
 * symbolic link, the link itself is replaced.
 */
lathe_status lathe__artifact_write_file(const lathe__artifact_writer *writer, const char *path,
                                        lathe_error *err);

/* Appends the artifact's bytes to `out` (for tests and in-memory transport). */
lathe_status lathe__artifact_write_buffer(const lathe__artifact_writer *writer, lathe__wbuf *out,
                                          lathe_error *err);

/* ---- reading ---- */

typedef struct lathe__artifact lathe__artifact;

/*
 * Checks data[0..size) completely and, if it is a valid artifact, keeps a
 * copy of it in *out (`data` is not used after the call). `name` (NULL for
 * "<buffer>") starts every error message. Errors: LATHE_PARSE when it is
 * not an artifact at all, LATHE_UNSUPPORTED for a newer format or unknown
 * flags, LATHE_CORRUPT for truncation, bad tables and checksum mismatches,
 * LATHE_NOMEM.
 */
lathe_status lathe__artifact_open_buffer(lathe_ctx *ctx, const void *data, size_t size,
                                         const char *name, lathe__artifact **out, lathe_error *err);

/*
 * Reads the whole file at `path` (at most LATHE__ARTIFACT_MAX_FILE_BYTES,
 * else LATHE_LIMIT) and checks it as lathe__artifact_open_buffer does, with
 * `path` starting every message. LATHE_NOT_FOUND if there is no such file,
 * LATHE_IO if it cannot be read.
 */
lathe_status lathe__artifact_open_file(lathe_ctx *ctx, const char *path, lathe__artifact **out,
                                       lathe_error *err);

void lathe__artifact_free(lathe__artifact *artifact);

/*
 * Finds the section named `name`: true with *data and *length set (data is
 * never NULL, and stays valid until the artifact is freed), false if the
 * artifact has no such section.
 */
bool lathe__artifact_section(const lathe__artifact *artifact, const char *name, const void **data,
                             size_t *length);

size_t lathe__artifact_n_sections(const lathe__artifact *artifact);
/* The section at `index` (< n_sections) in file order; strings live as long as the artifact. */
void lathe__artifact_section_at(const lathe__artifact *artifact, size_t index, const char **name,
                                const void **data, size_t *length);

/* The name the artifact was opened under (its path, or the buffer's name), for messages. */
const char *lathe__artifact_source(const lathe__artifact *artifact);

#endif
