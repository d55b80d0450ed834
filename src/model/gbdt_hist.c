/*
 * gbdt_hist.c: gradient histograms of a node's rows.
 *
 * A histogram has one (gradient sum, hessian sum) pair per slot: every code
 * of every feature. Building one is the inner loop of boosting, so its
 * shape is chosen for the memory system:
 *
 *  - work is cut into tasks of (row chunk, feature group); a task walks its
 *    rows in order (row ids ascending, as partitioning keeps them) and for
 *    each row adds the row's pair to `width` different features' bins, so
 *    consecutive updates never wait on each other even when many rows share
 *    a code (zero pixels, a default category);
 *  - wide data (at least WIDE_GROUPS groups) uses one chunk: the groups
 *    alone keep the threads busy and no partial sums are needed; narrow
 *    data cuts rows into up to MAX_CHUNKS chunks of at least CHUNK_ROWS,
 *    whose partial histograms are added in chunk order afterwards;
 *  - a node whose rows are a run without gaps (the root, usually) is read
 *    straight, without the row index; otherwise the rows ahead are
 *    prefetched in two steps, since a deep node's rows are scattered and
 *    each one is a cache miss.
 *
 * The cut depends only on the row count and the feature count, and every
 * sum is taken in a fixed order, so any number of threads gives the same
 * bits.
 *
 * With quantized gradients (gbdt_quant.c) a row's gradient and hessian are
 * 4 bytes instead of 16 (more of a deep node's scattered rows share a
 * cache line), widened to one 64-bit word per row, and a bin is one word:
 * an update is one integer addition (latency 1 cycle, against 4 for a
 * double's, which a run of rows in the same bin waits on) and the
 * histogram is half the size. The tasks, chunks and prefetching are the
 * same for both.
 */
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "core/internal.h"
#include "model/gbdt.h"

#include "core/banned.h"

#define WIDE_GROUPS 4
#define MAX_CHUNKS 8
#define CHUNK_ROWS 4096
/* Scattered rows are fetched in two steps: from memory into L2 well ahead (DRAM
   latency), then into L1 shortly before use; one step either way was 1.5 to 2.5
   times slower on the deep nodes of a 1M-row fit. */
#define PREFETCH_FAR 128
#define PREFETCH_NEAR 16

typedef struct hist_job {
    const lathe__gbdt_binner *binner;
    const lathe__gbdt_codes *codes;
    const lathe__gbdt_pair *gh;         /* exact gradients, or NULL */
    const lathe__gbdt_qpair *quantized; /* quantized gradients, or NULL */
    const uint32_t *rows;               /* NULL: rows first_row .. first_row + n_rows - 1 */
    size_t first_row;
    size_t n_rows;
    size_t n_groups, n_chunks;
    void *hist;    /* pairs, or packed words with `quantized` */
    void *partial; /* n_chunks - 1 histograms like hist */
    size_t n_slots;
    size_t slot_bytes;
} hist_job;

lathe_status lathe__gbdt_hist_space_init(lathe_ctx *ctx, lathe__gbdt_hist_space *space,
                                         const lathe__gbdt_binner *binner, lathe_error *err)
{
    size_t count;
    space->n_partial = 0;
    space->partial = NULL;
    if (lathe__gbdt_n_groups(binner->n_features) >= WIDE_GROUPS)
        return LATHE_OK; /* one chunk: no partial sums */
    if (lathe__mul_overflows(binner->n_slots, MAX_CHUNKS - 1, &count))
        return lathe__error(err, LATHE_LIMIT, "too many histogram bins");
    /* sized for pairs, the larger of the two kinds of bin */
    space->partial = lathe__alloc(ctx, (count ? count : 1) * sizeof(lathe__gbdt_pair));
    if (!space->partial)
        return lathe__error_nomem(err);
    space->n_partial = MAX_CHUNKS - 1;
    return LATHE_OK;
}

void lathe__gbdt_hist_space_release(lathe_ctx *ctx, lathe__gbdt_hist_space *space)
{
    lathe__free(ctx, space->partial);
    space->partial = NULL;
    space->n_partial = 0;
}

/* The slots of group g: [*first, *end). */
static void group_slots(const lathe__gbdt_binner *b, size_t group, size_t *first, size_t *end)
{
    size_t f0 = group * LATHE__GBDT_GROUP_WIDTH;
    size_t f1 = f0 + lathe__gbdt_group_width(b->n_features, group) - 1;
    *first = b->features[f0].slot;
    *end = b->features[f1].slot + b->features[f1].n_bins + 1;
}

/* A row's pair, added to a bin as one vector. */
#ifdef __SSE2__
typedef __m128d row_pair;
static inline row_pair load_pair(const lathe__gbdt_pair *p)
{
    return _mm_loadu_pd(&p->g);
}
static inline void add_pair(lathe__gbdt_pair *bin, row_pair pair)
{
    _mm_storeu_pd(&bin->g, _mm_add_pd(_mm_loadu_pd(&bin->g), pair));
}
#else
typedef lathe__gbdt_pair row_pair;
static inline row_pair load_pair(const lathe__gbdt_pair *p)
{
    return *p;
}
static inline void add_pair(lathe__gbdt_pair *bin, row_pair pair)
{
    bin->g += pair.g;
    bin->h += pair.h;
}
#endif

/* Adds a row's pair to the bins of `width` features, four at a time: each
 * feature's histogram has a pointer of its own, so an update is a byte
 * load, an address and one addition, with no per-feature bookkeeping.
 * (Against a loop over slot offsets, 10% off a 1M-row fit on one thread.) */
static inline __attribute__((always_inline)) void
add_row(lathe__gbdt_pair *const *base, const uint8_t *c, size_t width, row_pair pair)
{
    size_t k = 0;
    for (; k + 4 <= width; k += 4) {
        add_pair(&base[k][c[k]], pair);
        add_pair(&base[k + 1][c[k + 1]], pair);
        add_pair(&base[k + 2][c[k + 2]], pair);
        add_pair(&base[k + 3][c[k + 3]], pair);
    }
    for (; k < width; k++)
        add_pair(&base[k][c[k]], pair);
}

/* add_row for two rows, interleaved feature by feature: twice the
 * independent updates in flight (8% off the root's histogram in a
 * micro-benchmark), and each bin still takes the first row before the
 * second, so the sums are the same bits. */
static inline __attribute__((always_inline)) void add_two_rows(lathe__gbdt_pair *const *base,
                                                               const uint8_t *first,
                                                               const uint8_t *second, size_t width,
                                                               row_pair a, row_pair b)
{
    size_t k = 0;
    for (; k + 2 <= width; k += 2) {
        add_pair(&base[k][first[k]], a);
        add_pair(&base[k][second[k]], b);
        add_pair(&base[k + 1][first[k + 1]], a);
        add_pair(&base[k + 1][second[k + 1]], b);
    }
    if (k < width) {
        add_pair(&base[k][first[k]], a);
        add_pair(&base[k][second[k]], b);
    }
}

/* A scattered row's codes, fetched ahead: into L2 far ahead, into L1 near. A row's codes may
   cross into the next cache line (28 bytes do 44% of the time), so both lines are fetched;
   fetching only the first left those rows waiting on memory (depths 3-5 took 1.88 s instead
   of 1.27-1.34 s of a 1M-row fit on one thread). */
static inline void fetch_codes_far(const uint8_t *codes, size_t width, size_t row)
{
    const uint8_t *c = codes + row * width;
    __builtin_prefetch(c, 0, 2);
    __builtin_prefetch(c + width - 1, 0, 2);
}

static inline void fetch_codes_near(const uint8_t *codes, size_t width, size_t row)
{
    const uint8_t *c = codes + row * width;
    __builtin_prefetch(c, 0, 3);
    __builtin_prefetch(c + width - 1, 0, 3);
}

static void accumulate_pairs(const hist_job *job, size_t group, size_t lo, size_t hi,
                             lathe__gbdt_pair *hist)
{
    size_t width = lathe__gbdt_group_width(job->binner->n_features, group);
    const uint8_t *codes = lathe__gbdt_group_codes(job->codes, group);
    const lathe__gbdt_feature *features = job->binner->features + group * LATHE__GBDT_GROUP_WIDTH;
    lathe__gbdt_pair *base[LATHE__GBDT_GROUP_WIDTH];
    for (size_t k = 0; k < width; k++)
        base[k] = hist + features[k].slot;
    const lathe__gbdt_pair *gh = job->gh;
    const uint32_t *rows = job->rows;
    size_t i = lo;
    if (!rows) { /* a run of rows: read straight */
        const uint8_t *c = codes + job->first_row * width;
        const lathe__gbdt_pair *pairs = gh + job->first_row;
        for (; i + 2 <= hi; i += 2)
            add_two_rows(base, c + i * width, c + (i + 1) * width, width, load_pair(&pairs[i]),
                         load_pair(&pairs[i + 1]));
        if (i < hi)
            add_row(base, c + i * width, width, load_pair(&pairs[i]));
        return;
    }
    for (; i + 2 <= hi; i += 2) {
        for (size_t ahead = i; ahead < i + 2; ahead++) {
            if (ahead + PREFETCH_FAR < hi) {
                fetch_codes_far(codes, width, rows[ahead + PREFETCH_FAR]);
                __builtin_prefetch(gh + rows[ahead + PREFETCH_FAR], 0, 2);
            }
            if (ahead + PREFETCH_NEAR < hi) {
                fetch_codes_near(codes, width, rows[ahead + PREFETCH_NEAR]);
                __builtin_prefetch(gh + rows[ahead + PREFETCH_NEAR], 0, 3);
            }
        }
        size_t first = rows[i], second = rows[i + 1];
        add_two_rows(base, codes + first * width, codes + second * width, width,
                     load_pair(&gh[first]), load_pair(&gh[second]));
    }
    if (i < hi)
        add_row(base, codes + (size_t)rows[i] * width, width, load_pair(&gh[rows[i]]));
}

/* accumulate_pairs on packed words: the same walk, one integer addition per update. */
static void accumulate_packed(const hist_job *job, size_t group, size_t lo, size_t hi,
                              lathe__gbdt_packed *hist)
{
    size_t width = lathe__gbdt_group_width(job->binner->n_features, group);
    const uint8_t *codes = lathe__gbdt_group_codes(job->codes, group);
    const lathe__gbdt_feature *features = job->binner->features + group * LATHE__GBDT_GROUP_WIDTH;
    uint32_t slot[LATHE__GBDT_GROUP_WIDTH];
    for (size_t k = 0; k < width; k++)
        slot[k] = (uint32_t)features[k].slot;
    const lathe__gbdt_qpair *quantized = job->quantized;
    const uint32_t *rows = job->rows;
    for (size_t i = lo; i < hi; i++) {
        size_t row = rows ? rows[i] : job->first_row + i;
        if (rows && i + PREFETCH_FAR < hi) {
            fetch_codes_far(codes, width, rows[i + PREFETCH_FAR]);
            __builtin_prefetch(quantized + rows[i + PREFETCH_FAR], 0, 2);
        }
        if (rows && i + PREFETCH_NEAR < hi) {
            fetch_codes_near(codes, width, rows[i + PREFETCH_NEAR]);
            __builtin_prefetch(quantized + rows[i + PREFETCH_NEAR], 0, 3);
        }
        const uint8_t *c = codes + row * width;
        lathe__gbdt_packed word = lathe__gbdt_widen(quantized[row]);
        for (size_t k = 0; k < width; k++)
            hist[slot[k] + c[k]] += word;
    }
}

/* Chunk `chunk`'s histogram: the node's own for chunk 0, else a partial one. */
static void *chunk_hist(const hist_job *job, size_t chunk)
{
    if (chunk == 0)
        return job->hist;
    return (char *)job->partial + (chunk - 1) * job->n_slots * job->slot_bytes;
}

static void build_task(void *arg, size_t task)
{
    const hist_job *job = arg;
    size_t group = task % job->n_groups, chunk = task / job->n_groups;
    size_t lo = job->n_rows * chunk / job->n_chunks;
    size_t hi = job->n_rows * (chunk + 1) / job->n_chunks;
    void *hist = chunk_hist(job, chunk);
    size_t first, end;
    group_slots(job->binner, group, &first, &end);
    memset((char *)hist + first * job->slot_bytes, 0, (end - first) * job->slot_bytes);
    if (job->quantized)
        accumulate_packed(job, group, lo, hi, hist);
    else
        accumulate_pairs(job, group, lo, hi, hist);
}

static void reduce_task(void *arg, size_t group)
{
    const hist_job *job = arg;
    size_t first, end;
    group_slots(job->binner, group, &first, &end);
    for (size_t chunk = 1; chunk < job->n_chunks; chunk++) {
        if (job->quantized) {
            lathe__gbdt_packed *hist = job->hist;
            const lathe__gbdt_packed *part = chunk_hist(job, chunk);
            for (size_t s = first; s < end; s++)
                hist[s] += part[s];
            continue;
        }
        lathe__gbdt_pair *hist = job->hist;
        const lathe__gbdt_pair *part = chunk_hist(job, chunk);
        for (size_t s = first; s < end; s++) {
            hist[s].g += part[s].g;
            hist[s].h += part[s].h;
        }
    }
}

/* Runs a filled-in job: cuts it into chunks and groups, builds, and adds the chunks. */
static void build(lathe__team *team, lathe__gbdt_hist_space *space,
                  const lathe__gbdt_binner *binner, const uint32_t *rows, size_t n_rows,
                  hist_job *job)
{
    size_t n_groups = lathe__gbdt_n_groups(binner->n_features);
    if (n_groups == 0)
        return;
    /* rows ascending and unique: a run without gaps (the root, usually) needs no index */
    bool run = n_rows > 0 && rows[n_rows - 1] - rows[0] == n_rows - 1;
    job->binner = binner;
    job->rows = run ? NULL : rows;
    job->first_row = run ? rows[0] : 0;
    job->n_rows = n_rows;
    job->n_groups = n_groups;
    job->n_chunks = 1;
    job->partial = space->partial;
    job->n_slots = binner->n_slots;
    if (n_groups < WIDE_GROUPS) {
        job->n_chunks = n_rows / CHUNK_ROWS;
        if (job->n_chunks > space->n_partial + 1)
            job->n_chunks = space->n_partial + 1;
        if (job->n_chunks == 0)
            job->n_chunks = 1;
    }
    lathe__team_run(team, n_groups * job->n_chunks, build_task, job);
    if (job->n_chunks > 1)
        lathe__team_run(team, n_groups, reduce_task, job);
}

void lathe__gbdt_hist_build(lathe__team *team, lathe__gbdt_hist_space *space,
                            const lathe__gbdt_binner *binner, const lathe__gbdt_codes *codes,
                            const lathe__gbdt_pair *gh, const uint32_t *rows, size_t n_rows,
                            lathe__gbdt_pair *hist)
{
    hist_job job = {.codes = codes, .gh = gh, .hist = hist, .slot_bytes = sizeof *hist};
    build(team, space, binner, rows, n_rows, &job);
}

void lathe__gbdt_hist_build_packed(lathe__team *team, lathe__gbdt_hist_space *space,
                                   const lathe__gbdt_binner *binner, const lathe__gbdt_codes *codes,
                                   const lathe__gbdt_qpair *quantized, const uint32_t *rows,
                                   size_t n_rows, lathe__gbdt_packed *hist)
{
    hist_job job = {
        .codes = codes, .quantized = quantized, .hist = hist, .slot_bytes = sizeof *hist};
    build(team, space, binner, rows, n_rows, &job);
}

void lathe__gbdt_hist_subtract(lathe__gbdt_pair *parent, const lathe__gbdt_pair *child,
                               size_t n_slots)
{
    for (size_t s = 0; s < n_slots; s++) {
        parent[s].g -= child[s].g;
        parent[s].h -= child[s].h;
    }
}

void lathe__gbdt_hist_subtract_packed(lathe__gbdt_packed *parent, const lathe__gbdt_packed *child,
                                      size_t n_slots)
{
    for (size_t s = 0; s < n_slots; s++)
        parent[s] -= child[s];
}
