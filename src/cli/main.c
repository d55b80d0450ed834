/*
 * main.c: `lathe`, dispatching to one subcommand from the table below.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

static const cli_command *const commands[] = {
    &cli_describe_command, &cli_train_command,  &cli_evaluate_command, &cli_predict_command,
    &cli_inspect_command,  &cli_models_command, &cli_version_command,
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void print_usage(FILE *out)
{
    fprintf(out, "usage: lathe COMMAND [OPTIONS]\n\n"
                 "Lathe takes a table from raw data to a monitored model service.\n\n"
                 "commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-12s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(out, "\nRun 'lathe COMMAND --help' for a command's options.\n");
}

int cli_fail(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fputs("lathe: ", stderr);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    return CLI_FAILED;
}

int cli_usage(const char *command, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fprintf(stderr, "lathe %s: ", command);
    vfprintf(stderr, format, args);
    fprintf(stderr, "\nrun 'lathe %s --help' for usage\n", command);
    va_end(args);
    return CLI_USAGE;
}

bool cli_stderr_is_tty(void)
{
    return isatty(STDERR_FILENO) == 1;
}

static int show_progress(void *user, const char *stage, double done, double total)
{
    (void)user;
    if (total > 0)
        fprintf(stderr, "\r%s: %3.0f%%", stage, 100.0 * done / total);
    else
        fprintf(stderr, "\r%s: %.0f", stage, done);
    if (total > 0 && done >= total)
        fputs("\r\033[K", stderr);
    return 0;
}

lathe_ctx *cli_ctx_new(int n_threads, unsigned long long seed, bool progress)
{
    lathe_ctx *ctx = lathe_ctx_new();
    if (!ctx) {
        fputs("lathe: out of memory\n", stderr);
        exit(CLI_FAILED);
    }
    lathe_ctx_set_threads(ctx, n_threads);
    lathe_ctx_set_seed(ctx, seed);
    if (progress && cli_stderr_is_tty())
        lathe_ctx_set_progress(ctx, show_progress, NULL);
    return ctx;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_usage(stderr);
        return CLI_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        if (argc > 2) {
            for (size_t i = 0; i < N_COMMANDS; i++) {
                if (strcmp(argv[2], commands[i]->name) == 0) {
                    commands[i]->help(stdout);
                    return CLI_OK;
                }
            }
        }
        print_usage(stdout);
        return CLI_OK;
    }
    if (strcmp(name, "--version") == 0)
        name = "version";
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (strcmp(name, commands[i]->name) == 0) {
            for (int a = 2; a < argc; a++) {
                if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0) {
                    commands[i]->help(stdout);
                    return CLI_OK;
                }
            }
            return commands[i]->run(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "lathe: '%s' is not a lathe command\n\n", name);
    print_usage(stderr);
    return CLI_USAGE;
}
