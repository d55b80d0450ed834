/*
 * read_bench.c: times lathe_read on one file, for bench/read.sh.
 *
 * Prints one JSON line: the median seconds of N loads, rows, columns, input
 * bytes and the bytes of the loaded values (8 per cell, as pandas holds a
 * numeric table), so the script can report MB/s and memory ratios.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "lathe/lathe.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: lathe_read_bench FILE [RUNS]\n");
        return 2;
    }
    int runs = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 3;
    if (runs < 1 || runs > 50)
        runs = 3;
    double seconds[50];
    size_t rows = 0, columns = 0;
    lathe_ctx *ctx = lathe_ctx_new();
    for (int i = 0; i < runs; i++) {
        lathe_frame *frame;
        lathe_error err;
        double start = now();
        if (lathe_read(ctx, argv[1], NULL, &frame, &err) != LATHE_OK) {
            fprintf(stderr, "lathe_read_bench: %s\n", err.message);
            return 1;
        }
        seconds[i] = now() - start;
        rows = lathe_frame_n_rows(frame);
        columns = lathe_frame_n_columns(frame);
        lathe_frame_free(frame);
    }
    lathe_ctx_free(ctx);
    qsort(seconds, (size_t)runs, sizeof seconds[0], by_value);
    struct stat st;
    long long bytes = stat(argv[1], &st) == 0 ? (long long)st.st_size : -1;
    printf("{\"seconds\": %.4f, \"rows\": %zu, \"columns\": %zu, \"bytes\": %lld, "
           "\"value_bytes\": %zu}\n",
           seconds[runs / 2], rows, columns, bytes, rows * columns * 8);
    return 0;
}
