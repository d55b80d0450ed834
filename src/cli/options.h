/*
 * options.h: command-line options as tables, shared by every subcommand.
 *
 * A subcommand lists its options in groups (its own, and shared ones such
 * as the data-reading options); the same tables drive parsing and --help,
 * so the two cannot drift apart. Options take "--name value" or
 * "--name=value"; "--" ends options.
 */
#ifndef LATHE_CLI_OPTIONS_H
#define LATHE_CLI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "lathe/lathe.h"

/* Applies one option to `target`; on a bad value writes why and returns false. */
typedef bool (*cli_option_fn)(void *target, const char *value, char *why, size_t size);

typedef struct cli_option {
    const char *name;
    const char *value_name; /* NULL for a flag */
    const char *help;
    cli_option_fn apply;
} cli_option;

typedef struct cli_option_group {
    const cli_option *options;
    size_t n_options;
    void *target;
} cli_option_group;

/*
 * Parses argv[1..argc) into the groups' targets and up to `max_positional`
 * positional arguments. Returns CLI_OK, or prints the usage error and
 * returns CLI_USAGE.
 */
int cli_parse_options(const char *command, int argc, char **argv, const cli_option_group *groups,
                      size_t n_groups, const char **positional, size_t max_positional,
                      size_t *n_positional);
void cli_print_options(FILE *out, const cli_option_group *groups, size_t n_groups);

/* Option helpers for common value types. */
bool cli_parse_count(const char *value, size_t max, size_t *out);
bool cli_parse_fraction(const char *value, double *out);
/* --seed and --threads, shared by the commands that take them; false with *why set. */
bool cli_parse_seed(const char *value, unsigned long long *out, char *why, size_t size);
bool cli_parse_threads(const char *value, int *out, char *why, size_t size);

/* The options every command that reads data shares: --format, --delimiter,
 * --no-header, --missing, --kind. */
typedef struct cli_read_args {
    lathe_read_options read;
    const char **missing;
    size_t n_missing;
    lathe_column_decl *kinds;
    size_t n_kinds;
} cli_read_args;

extern const cli_option cli_read_options[];
extern const size_t cli_n_read_options;

/* Room for up to argc repeated options. Exits on out of memory, as the CLI may. */
void cli_read_args_init(cli_read_args *args, int argc);
/* Links the collected --missing and --kind values into args->read. */
void cli_read_args_finish(cli_read_args *args);
void cli_read_args_release(cli_read_args *args);

#endif
