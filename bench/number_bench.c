/*
 * number_bench.c: throughput of lathe__parse_double / lathe__parse_int64 on
 * cell-like text, next to glibc's strtod on the same text. A standalone
 * program, not part of the CMake build:
 *
 *   gcc -O2 -Isrc -Iinclude bench/number_bench.c src/core/number.c -o number_bench -lm
 *   ./number_bench
 *
 * Cells are pre-split (start, length) so only parsing is timed, not finding
 * separators. MB/s counts the bytes of number text. Each figure is the best
 * of 15 passes, which keeps other load on the machine out of the figures.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/number.h"

#define N_CELLS 2000000
#define N_PASSES 15

typedef struct cells {
    char *text; /* cells separated by NUL, so strtod can run in place */
    size_t *start;
    size_t *length;
    size_t n;
    size_t bytes; /* of number text, without separators */
} cells;

static uint64_t rng_state = 12345;

static uint64_t next_random(void)
{
    uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static unsigned below(unsigned n)
{
    return (unsigned)(next_random() % n);
}

/* Pixel-like and count-like integers: "0", "255", "17", some up to 6 digits. */
static int make_integer(char *buf)
{
    unsigned kind = below(10);
    unsigned value = kind < 3 ? 0 : kind < 8 ? below(256) : below(1000000);
    return snprintf(buf, 32, "%u", value);
}

/* Measurement-like decimals: "0.64", "3.756", "1135.2", "-12.5". */
static int make_decimal(char *buf)
{
    unsigned integer = below(3) == 0 ? 0 : below(2) ? below(10) : below(10000);
    unsigned n_fraction = 1 + below(3);
    unsigned scale = n_fraction == 1 ? 10 : n_fraction == 2 ? 100 : 1000;
    return snprintf(buf, 32, "%s%u.%0*u", below(8) == 0 ? "-" : "", integer, (int)n_fraction,
                    below(scale));
}

/* Full-precision doubles as other tools write them: the strtod fallback. */
static int make_precise(char *buf)
{
    double value = (double)next_random() / 18446744073709551616.0 * 1000.0;
    return snprintf(buf, 32, "%.17g", value);
}

static void cells_make(cells *c, int (*make)(char *))
{
    c->text = malloc((size_t)N_CELLS * 32);
    c->start = malloc(N_CELLS * sizeof *c->start);
    c->length = malloc(N_CELLS * sizeof *c->length);
    if (!c->text || !c->start || !c->length) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    size_t at = 0;
    c->bytes = 0;
    for (size_t i = 0; i < N_CELLS; i++) {
        int n = make(c->text + at);
        c->start[i] = at;
        c->length[i] = (size_t)n;
        c->bytes += (size_t)n;
        at += (size_t)n + 1;
    }
    c->n = N_CELLS;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

enum parser { PARSE_DOUBLE, PARSE_INT64, STRTOD };

static double run_pass(const cells *c, enum parser parser, double *checksum)
{
    double sum = 0;
    double t0 = now();
    for (size_t i = 0; i < c->n; i++) {
        const char *text = c->text + c->start[i];
        if (parser == PARSE_DOUBLE) {
            double value = 0;
            lathe__parse_double(text, c->length[i], &value);
            sum += value;
        } else if (parser == PARSE_INT64) {
            int64_t value = 0;
            lathe__parse_int64(text, c->length[i], &value);
            sum += (double)value;
        } else {
            sum += strtod(text, NULL);
        }
    }
    double elapsed = now() - t0;
    *checksum += sum;
    return elapsed;
}

static void report(const char *label, const cells *c, enum parser parser)
{
    static const char *const names[] = {"lathe__parse_double", "lathe__parse_int64", "strtod"};
    double best = 1e30, checksum = 0;
    for (int pass = 0; pass < N_PASSES; pass++) {
        double elapsed = run_pass(c, parser, &checksum);
        if (elapsed < best)
            best = elapsed;
    }
    printf("%-9s %-20s %8.1f MB/s %7.2f ns/number  (avg %.1f bytes, checksum %g)\n", label,
           names[parser], (double)c->bytes / best / 1e6, best / (double)c->n * 1e9,
           (double)c->bytes / (double)c->n, checksum);
}

int main(void)
{
    cells integers, decimals, precise;
    cells_make(&integers, make_integer);
    cells_make(&decimals, make_decimal);
    cells_make(&precise, make_precise);

    report("integer", &integers, PARSE_DOUBLE);
    report("integer", &integers, PARSE_INT64);
    report("integer", &integers, STRTOD);
    report("decimal", &decimals, PARSE_DOUBLE);
    report("decimal", &decimals, STRTOD);
    report("precise", &precise, PARSE_DOUBLE);
    report("precise", &precise, STRTOD);
    return 0;
}
