/*
 * cli.h: the `lathe` command's table of subcommands and the helpers they
 * share. The CLI is the only code that prints to the terminal or exits; it
 * talks to the library through include/lathe/ like any other program.
 *
 * Exit codes: 0 success, 1 the work failed (bad data, I/O), 2 bad usage.
 */
#ifndef LATHE_CLI_H
#define LATHE_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "lathe/lathe.h"

enum { CLI_OK = 0, CLI_FAILED = 1, CLI_USAGE = 2 };

typedef struct cli_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand's name */
    void (*help)(FILE *out);
} cli_command;

/* Each subcommand file defines one of these. */
extern const cli_command cli_describe_command;
extern const cli_command cli_evaluate_command;
extern const cli_command cli_inspect_command;
extern const cli_command cli_models_command;
extern const cli_command cli_predict_command;
extern const cli_command cli_train_command;
extern const cli_command cli_version_command;

/* Prints "lathe: message" to stderr; returns CLI_FAILED. */
int cli_fail(const char *format, ...) __attribute__((format(printf, 1, 2)));
/* Prints "lathe NAME: message" and a hint to see --help; returns CLI_USAGE. */
int cli_usage(const char *command, const char *format, ...) __attribute__((format(printf, 2, 3)));
/* A context set up from the common options; exits on out of memory. */
lathe_ctx *cli_ctx_new(int n_threads, unsigned long long seed, bool progress);
/* True if standard error is a terminal (progress is shown only then). */
bool cli_stderr_is_tty(void);

#endif
