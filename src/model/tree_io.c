/*
 * tree_io.c: saving and loading tree ensembles.
 *
 * Layout (little-endian, see core/buf.h), format version 1:
 *   u32 version, u8 link, u64 n_features, u64 n_raw, u64 n_outputs,
 *   f64 isolation_normalizer, f64 array base_score (n_raw values),
 *   u8 has_tree_output, u64 n_trees, [n_trees x u32 tree_output],
 *   then per tree: u64 n_outputs, u64 n_nodes, the node arrays one after
 *   the other (i32 left, i32 right, u32 feature, f64 threshold,
 *   u8 default_left, u32 cat_start, u32 cat_words, f64 cover, f64 gain),
 *   n_nodes * n_outputs f64 values, u64 n_cat_bits and the u64 words.
 *
 * The loader treats the bytes as hostile. Every count is capped and checked
 * against the bytes left before anything is allocated, so an input can
 * only ask for memory in proportion to its size. Each tree is checked
 * before the next is read: children in range and forming one tree from
 * node 0 (every other node the child of exactly one node and reached from
 * the root, so no walk can loop), split features below n_features, finite
 * numbers, bitsets inside cat_bits, and output counts that fit the link.
 * Whatever is wrong fails the lathe__rbuf with a message naming the tree
 * and node; nothing half-loaded is returned.
 */
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "model/tree.h"

#include "core/banned.h"

#define FORMAT_VERSION 1u
#define MAX_RAW ((size_t)1 << 16)
#define MAX_TREES ((size_t)1 << 24)
#define MAX_NODES ((size_t)INT32_MAX)
#define MAX_CAT_WORDS ((size_t)UINT32_MAX)
/* The bytes of one node's fields apart from its values. */
#define NODE_BYTES (4 + 4 + 4 + 8 + 1 + 4 + 4 + 8 + 8)
/* The fewest bytes a tree takes: counts, one node, one value, the bitset count. */
#define MIN_TREE_BYTES (8 + 8 + NODE_BYTES + 8 + 8)

static const char *const link_names[] = {"identity", "sigmoid", "softmax",
                                         "exp",      "average", "isolation"};

/* ---- saving ---------------------------------------------------------------- */

static void save_tree(const lathe__tree *tree, lathe__wbuf *buf)
{
    size_t n = tree->n_nodes;
    lathe__wbuf_u64(buf, tree->n_outputs);
    lathe__wbuf_u64(buf, n);
    for (size_t i = 0; i < n; i++)
        lathe__wbuf_u32(buf, (uint32_t)tree->left[i]);
    for (size_t i = 0; i < n; i++)
        lathe__wbuf_u32(buf, (uint32_t)tree->right[i]);
    for (size_t i = 0; i < n; i++)
        lathe__wbuf_u32(buf, tree->feature[i]);
    for (size_t i = 0; i < n; i++)
        lathe__wbuf_f64(buf, tree->threshold[i]);
    lathe__wbuf_bytes(buf, tree->default_left, n);
    for (size_t i = 0; i < n; i++)
        lathe__wbuf_u32(buf, tree->cat_start[i]);
    for (size_t i = 0; i < n; i++)
        lathe__wbuf_u32(buf, tree->cat_words[i]);
    for (size_t i = 0; i < n; i++)
        lathe__wbuf_f64(buf, tree->cover[i]);
    for (size_t i = 0; i < n; i++)
        lathe__wbuf_f64(buf, tree->gain[i]);
    for (size_t i = 0; i < n * tree->n_outputs; i++)
        lathe__wbuf_f64(buf, tree->value[i]);
    lathe__wbuf_u64(buf, tree->n_cat_bits);
    for (size_t i = 0; i < tree->n_cat_bits; i++)
        lathe__wbuf_u64(buf, tree->cat_bits[i]);
}

void lathe__ensemble_save(const lathe__ensemble *ensemble, lathe__wbuf *buf)
{
    lathe__wbuf_u32(buf, FORMAT_VERSION);
    lathe__wbuf_u8(buf, (uint8_t)ensemble->link);
    lathe__wbuf_u64(buf, ensemble->n_features);
    lathe__wbuf_u64(buf, ensemble->n_raw);
    lathe__wbuf_u64(buf, ensemble->n_outputs);
    lathe__wbuf_f64(buf, ensemble->isolation_normalizer);
    lathe__wbuf_u64(buf, ensemble->n_raw);
    for (size_t k = 0; k < ensemble->n_raw; k++)
        lathe__wbuf_f64(buf, ensemble->base_score ? ensemble->base_score[k] : 0);
    lathe__wbuf_u8(buf, ensemble->tree_output != NULL);
    lathe__wbuf_u64(buf, ensemble->n_trees);
    for (size_t t = 0; ensemble->tree_output && t < ensemble->n_trees; t++)
        lathe__wbuf_u32(buf, ensemble->tree_output[t]);
    for (size_t t = 0; t < ensemble->n_trees; t++)
        save_tree(&ensemble->trees[t], buf);
}

/* An allocation failed: reported as LATHE_NOMEM rather than as corrupt data. */
static void fail_nomem(lathe__rbuf *buf)
{
    if (buf->failed)
        return;
    lathe__rbuf_fail(buf, "out of memory");
    buf->out_of_memory = true;
}

/* ---- checking a tree --------------------------------------------------------- */

/* Children in range, each node below the root the child of exactly one node. */
static bool check_children(lathe__rbuf *buf, size_t t, const lathe__tree *tree, uint8_t *parents)
{
    size_t n = tree->n_nodes;
    for (size_t node = 0; node < n; node++) {
        int32_t children[2] = {tree->left[node], tree->right[node]};
        if (children[0] < 0 || children[1] < 0) {
            if (children[0] != -1 || children[1] != -1) {
                lathe__rbuf_fail(buf,
                                 "tree %zu node %zu: a leaf needs both children -1, not %d "
                                 "and %d",
                                 t, node, children[0], children[1]);
                return false;
            }
            continue;
        }
        for (int side = 0; side < 2; side++) {
            size_t child = (size_t)children[side];
            if (child >= n) {
                lathe__rbuf_fail(buf, "tree %zu node %zu: child %zu is out of range (%zu nodes)", t,
                                 node, child, n);
                return false;
            }
            if (child == 0 || parents[child]) {
                lathe__rbuf_fail(buf,
                                 "tree %zu: node %zu is reached twice (the nodes form a "
                                 "cycle, not a tree)",
                                 t, child);
                return false;
            }
            parents[child] = 1;
        }
    }
    return true;
}

/* Every node reached from the root; `stack` holds n_nodes entries. With one parent per node
   below the root, the walk visits each node at most once. */
static bool check_reached(lathe__rbuf *buf, size_t t, const lathe__tree *tree, uint8_t *reached,
                          size_t *stack)
{
    size_t n = tree->n_nodes, size = 0;
    memset(reached, 0, n);
    stack[size++] = 0;
    reached[0] = 1;
    while (size) {
        size_t node = stack[--size];
        if (tree->left[node] < 0)
            continue;
        size_t children[2] = {(size_t)tree->left[node], (size_t)tree->right[node]};
        for (int side = 0; side < 2; side++) {
            reached[children[side]] = 1;
            stack[size++] = children[side];
        }
    }
    for (size_t node = 0; node < n; node++) {
        if (!reached[node]) {
            lathe__rbuf_fail(buf, "tree %zu: node %zu cannot be reached from the root", t, node);
            return false;
        }
    }
    return true;
}

static bool check_split(lathe__rbuf *buf, size_t t, size_t node, const lathe__tree *tree,
                        size_t n_features)
{
    if (tree->left[node] >= 0 && tree->feature[node] >= n_features) {
        lathe__rbuf_fail(buf, "tree %zu node %zu: feature %u is out of range (%zu features)", t,
                         node, tree->feature[node], n_features);
        return false;
    }
    if (!isfinite(tree->threshold[node])) {
        lathe__rbuf_fail(buf, "tree %zu node %zu: threshold is not a finite number", t, node);
        return false;
    }
    if (tree->default_left[node] > 1) {
        lathe__rbuf_fail(buf, "tree %zu node %zu: default_left is %u, not 0 or 1", t, node,
                         tree->default_left[node]);
        return false;
    }
    uint64_t end = (uint64_t)tree->cat_start[node] + tree->cat_words[node];
    if (tree->cat_words[node] && end > tree->n_cat_bits) {
        lathe__rbuf_fail(buf,
                         "tree %zu node %zu: categories in words %u to %llu are out of range "
                         "(%zu words)",
                         t, node, tree->cat_start[node], (unsigned long long)end, tree->n_cat_bits);
        return false;
    }
    return true;
}

static bool check_numbers(lathe__rbuf *buf, size_t t, size_t node, const lathe__tree *tree)
{
    const char *problem = NULL;
    if (!(tree->cover[node] >= 0) || !isfinite(tree->cover[node]))
        problem = "cover is not a finite number >= 0";
    else if (!isfinite(tree->gain[node]))
        problem = "gain is not a finite number";
    for (size_t k = 0; !problem && k < tree->n_outputs; k++)
        if (!isfinite(tree->value[node * tree->n_outputs + k]))
            problem = "value is not a finite number";
    if (problem)
        lathe__rbuf_fail(buf, "tree %zu node %zu: %s", t, node, problem);
    return problem == NULL;
}

static bool check_tree(lathe_ctx *ctx, lathe__rbuf *buf, size_t t, const lathe__tree *tree,
                       size_t n_features)
{
    size_t n = tree->n_nodes;
    uint8_t *marks = lathe__calloc(ctx, n, 1);
    size_t *stack = lathe__calloc(ctx, n, sizeof *stack);
    bool ok = marks && stack;
    if (!ok)
        fail_nomem(buf);
    ok = ok && check_children(buf, t, tree, marks) && check_reached(buf, t, tree, marks, stack);
    for (size_t node = 0; ok && node < n; node++)
        ok = check_split(buf, t, node, tree, n_features) && check_numbers(buf, t, node, tree);
    lathe__free(ctx, marks);
    lathe__free(ctx, stack);
    return ok;
}

/* ---- loading ----------------------------------------------------------------- */

static void read_u32s(lathe__rbuf *buf, uint32_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = lathe__rbuf_u32(buf);
}

static void read_f64s(lathe__rbuf *buf, double *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = lathe__rbuf_f64(buf);
}

static bool read_cat_bits(lathe_ctx *ctx, lathe__rbuf *buf, lathe__tree *tree)
{
    size_t words = lathe__rbuf_count(buf, MAX_CAT_WORDS, 8);
    if (buf->failed || words == 0)
        return !buf->failed;
    tree->cat_bits = lathe__calloc(ctx, words, sizeof *tree->cat_bits);
    if (!tree->cat_bits) {
        fail_nomem(buf);
        return false;
    }
    tree->n_cat_bits = words;
    for (size_t i = 0; i < words; i++)
        tree->cat_bits[i] = lathe__rbuf_u64(buf);
    return !buf->failed;
}

static bool read_tree(lathe_ctx *ctx, lathe__rbuf *buf, size_t t, size_t n_outputs,
                      lathe__tree *tree)
{
    size_t tree_outputs = lathe__rbuf_u64(buf);
    if (!buf->failed && tree_outputs != n_outputs) {
        lathe__rbuf_fail(buf, "tree %zu has %zu outputs where the ensemble's trees have %zu", t,
                         tree_outputs, n_outputs);
        return false;
    }
    size_t n = lathe__rbuf_count(buf, MAX_NODES, NODE_BYTES + 8 * n_outputs);
    if (!buf->failed && n == 0)
        lathe__rbuf_fail(buf, "tree %zu has no nodes", t);
    if (buf->failed)
        return false;
    if (lathe__tree_alloc(ctx, tree, n, n_outputs, NULL) != LATHE_OK) {
        fail_nomem(buf);
        return false;
    }
    read_u32s(buf, (uint32_t *)tree->left, n);
    read_u32s(buf, (uint32_t *)tree->right, n);
    read_u32s(buf, tree->feature, n);
    read_f64s(buf, tree->threshold, n);
    const uint8_t *flags = lathe__rbuf_bytes(buf, n);
    if (flags)
        memcpy(tree->default_left, flags, n);
    read_u32s(buf, tree->cat_start, n);
    read_u32s(buf, tree->cat_words, n);
    read_f64s(buf, tree->cover, n);
    read_f64s(buf, tree->gain, n);
    read_f64s(buf, tree->value, n * n_outputs);
    return read_cat_bits(ctx, buf, tree);
}

/* The ensemble's counts and link agree with one another. */
static bool check_shape(lathe__rbuf *buf, const lathe__ensemble *e, unsigned link)
{
    bool ok;
    if (link >= sizeof link_names / sizeof link_names[0]) {
        lathe__rbuf_fail(buf, "unknown link %u", link);
        return false;
    }
    switch (e->link) {
    case LATHE__LINK_SIGMOID:
        ok = e->n_raw == 1 && (e->n_outputs == 1 || e->n_outputs == 2);
        break;
    case LATHE__LINK_ISOLATION:
        ok = e->n_raw == 1 && e->n_outputs == 1;
        break;
    default:
        ok = e->n_raw >= 1 && e->n_outputs == e->n_raw;
        break;
    }
    if (!ok)
        lathe__rbuf_fail(buf, "a %s link does not go with %zu raw scores and %zu outputs",
                         link_names[link], e->n_raw, e->n_outputs);
    else if (e->link == LATHE__LINK_ISOLATION &&
             !(isfinite(e->isolation_normalizer) && e->isolation_normalizer > 0))
        lathe__rbuf_fail(buf, "the isolation normalizer is not a finite number > 0");
    return !buf->failed;
}

static bool read_header(lathe_ctx *ctx, lathe__rbuf *buf, lathe__ensemble *e)
{
    uint32_t version = lathe__rbuf_u32(buf);
    if (!buf->failed && version != FORMAT_VERSION)
        lathe__rbuf_fail(buf, "unsupported tree format version %u", version);
    unsigned link = lathe__rbuf_u8(buf);
    e->link = (lathe__tree_link)link;
    uint64_t n_features = lathe__rbuf_u64(buf);
    if (!buf->failed && n_features > UINT32_MAX)
        lathe__rbuf_fail(buf, "%llu features are over the limit of %u",
                         (unsigned long long)n_features, UINT32_MAX);
    e->n_features = (size_t)n_features;
    e->n_raw = lathe__rbuf_count(buf, MAX_RAW, 0);
    e->n_outputs = lathe__rbuf_count(buf, MAX_RAW, 0);
    e->isolation_normalizer = lathe__rbuf_f64(buf);
    if (buf->failed || !check_shape(buf, e, link))
        return false;
    size_t n_base;
    e->base_score = lathe__rbuf_f64_array(buf, ctx, MAX_RAW, &n_base);
    if (!buf->failed && n_base != e->n_raw)
        lathe__rbuf_fail(buf, "%zu base scores for %zu raw scores", n_base, e->n_raw);
    for (size_t k = 0; !buf->failed && k < n_base; k++)
        if (!isfinite(e->base_score[k]))
            lathe__rbuf_fail(buf, "base score %zu is not a finite number", k);
    return !buf->failed;
}

static bool read_tree_outputs(lathe_ctx *ctx, lathe__rbuf *buf, lathe__ensemble *e)
{
    uint8_t has_tree_output = lathe__rbuf_u8(buf);
    if (!buf->failed && has_tree_output > 1)
        lathe__rbuf_fail(buf, "has_tree_output is %u, not 0 or 1", has_tree_output);
    size_t n_trees = lathe__rbuf_count(buf, MAX_TREES, MIN_TREE_BYTES);
    if (!buf->failed && n_trees == 0 &&
        (e->link == LATHE__LINK_AVERAGE || e->link == LATHE__LINK_ISOLATION))
        lathe__rbuf_fail(buf, "an averaging ensemble needs at least one tree");
    if (buf->failed)
        return false;
    e->trees = lathe__calloc(ctx, n_trees ? n_trees : 1, sizeof *e->trees);
    if (has_tree_output)
        e->tree_output = lathe__calloc(ctx, n_trees ? n_trees : 1, sizeof *e->tree_output);
    if (!e->trees || (has_tree_output && !e->tree_output)) {
        fail_nomem(buf);
        return false;
    }
    e->n_trees = n_trees;
    for (size_t t = 0; has_tree_output && t < n_trees && !buf->failed; t++) {
        e->tree_output[t] = lathe__rbuf_u32(buf);
        if (!buf->failed && e->tree_output[t] >= e->n_raw)
            lathe__rbuf_fail(buf, "tree %zu adds to raw score %u of %zu", t, e->tree_output[t],
                             e->n_raw);
    }
    return !buf->failed;
}

lathe_status lathe__ensemble_load(lathe_ctx *ctx, lathe__rbuf *buf, lathe__ensemble *ensemble,
                                  lathe_error *err)
{
    lathe__ensemble e = {0};
    bool ok = read_header(ctx, buf, &e) && read_tree_outputs(ctx, buf, &e);
    size_t tree_outputs = e.tree_output ? 1 : e.n_raw;
    for (size_t t = 0; ok && t < e.n_trees; t++)
        ok = read_tree(ctx, buf, t, tree_outputs, &e.trees[t]) &&
             check_tree(ctx, buf, t, &e.trees[t], e.n_features);
    lathe_status status = lathe__rbuf_status(buf, err);
    if (status == LATHE_OK)
        status = lathe__ensemble_prepare(ctx, &e, err);
    if (status != LATHE_OK) {
        lathe__ensemble_release(ctx, &e);
        return status;
    }
    *ensemble = e;
    return LATHE_OK;
}
