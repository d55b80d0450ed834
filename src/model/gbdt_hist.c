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
 */
#include <string.h>

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
    const lathe__gbdt_pair *gh;
    const uint32_t *rows; /* NULL: rows first_row .. first_row + n_rows - 1 */
    size_t first_row;
    size_t n_rows;
    size_t n_groups, n_chunks;
    lathe__gbdt_pair *hist;
    lathe__gbdt_pair *partial;
    size_t n_slots;
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
    space->partial = lathe__alloc(ctx, (count ? count : 1) * sizeof *space->partial);
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

static void accumulate(const hist_job *job, size_t group, size_t lo, size_t hi,
                       lathe__gbdt_pair *hist)
{
    size_t width = lathe__gbdt_group_width(job->binner->n_features, group);
    const uint8_t *codes = lathe__gbdt_group_codes(job->codes, group);
    const lathe__gbdt_feature *features = job->binner->features + group * LATHE__GBDT_GROUP_WIDTH;
    uint32_t slot[LATHE__GBDT_GROUP_WIDTH];
    for (size_t k = 0; k < width; k++)
        slot[k] = (uint32_t)features[k].slot;
    const lathe__gbdt_pair *gh = job->gh;
    const uint32_t *rows = job->rows;
    for (size_t i = lo; i < hi; i++) {
        size_t row = rows ? rows[i] : job->first_row + i;
        if (rows && i + PREFETCH_FAR < hi) {
            __builtin_prefetch(codes + (size_t)rows[i + PREFETCH_FAR] * width, 0, 2);
            __builtin_prefetch(gh + rows[i + PREFETCH_FAR], 0, 2);
        }
        if (rows && i + PREFETCH_NEAR < hi) {
            __builtin_prefetch(codes + (size_t)rows[i + PREFETCH_NEAR] * width, 0, 3);
            __builtin_prefetch(gh + rows[i + PREFETCH_NEAR], 0, 3);
        }
        const uint8_t *c = codes + row * width;
        double g = gh[row].g, h = gh[row].h;
        for (size_t k = 0; k < width; k++) {
            lathe__gbdt_pair *bin = hist + slot[k] + c[k];
            bin->g += g;
            bin->h += h;
        }
    }
}

static void build_task(void *arg, size_t task)
{
    const hist_job *job = arg;
    size_t group = task % job->n_groups, chunk = task / job->n_groups;
    size_t lo = job->n_rows * chunk / job->n_chunks;
    size_t hi = job->n_rows * (chunk + 1) / job->n_chunks;
    lathe__gbdt_pair *hist = chunk == 0 ? job->hist : job->partial + (chunk - 1) * job->n_slots;
    size_t first, end;
    group_slots(job->binner, group, &first, &end);
    memset(hist + first, 0, (end - first) * sizeof *hist);
    accumulate(job, group, lo, hi, hist);
}

static void reduce_task(void *arg, size_t group)
{
    const hist_job *job = arg;
    size_t first, end;
    group_slots(job->binner, group, &first, &end);
    for (size_t chunk = 1; chunk < job->n_chunks; chunk++) {
        const lathe__gbdt_pair *part = job->partial + (chunk - 1) * job->n_slots;
        for (size_t s = first; s < end; s++) {
            job->hist[s].g += part[s].g;
            job->hist[s].h += part[s].h;
        }
    }
}

void lathe__gbdt_hist_build(lathe__gbdt_team *team, lathe__gbdt_hist_space *space,
                            const lathe__gbdt_binner *binner, const lathe__gbdt_codes *codes,
                            const lathe__gbdt_pair *gh, const uint32_t *rows, size_t n_rows,
                            lathe__gbdt_pair *hist)
{
    size_t n_groups = lathe__gbdt_n_groups(binner->n_features);
    if (n_groups == 0)
        return;
    /* rows ascending and unique: a run without gaps (the root, usually) needs no index */
    bool run = n_rows > 0 && rows[n_rows - 1] - rows[0] == n_rows - 1;
    hist_job job = {.binner = binner,
                    .codes = codes,
                    .gh = gh,
                    .rows = run ? NULL : rows,
                    .first_row = run ? rows[0] : 0,
                    .n_rows = n_rows,
                    .n_groups = n_groups,
                    .n_chunks = 1,
                    .hist = hist,
                    .partial = space->partial,
                    .n_slots = binner->n_slots};
    if (n_groups < WIDE_GROUPS) {
        job.n_chunks = n_rows / CHUNK_ROWS;
        if (job.n_chunks > space->n_partial + 1)
            job.n_chunks = space->n_partial + 1;
        if (job.n_chunks == 0)
            job.n_chunks = 1;
    }
    lathe__gbdt_team_run(team, n_groups * job.n_chunks, build_task, &job);
    if (job.n_chunks > 1)
        lathe__gbdt_team_run(team, n_groups, reduce_task, &job);
}

void lathe__gbdt_hist_subtract(lathe__gbdt_pair *parent, const lathe__gbdt_pair *child,
                               size_t n_slots)
{
    for (size_t s = 0; s < n_slots; s++) {
        parent[s].g -= child[s].g;
        parent[s].h -= child[s].h;
    }
}
