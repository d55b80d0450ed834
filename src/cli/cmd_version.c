/* cmd_version.c: `lathe version`, the library version. */
#include <string.h>

#include "cli/cli.h"

static void help(FILE *out)
{
    fputs("usage: lathe version [--json]\n\nPrints Lathe's version.\n", out);
}

static int run(int argc, char **argv)
{
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else
            return cli_usage("version", "unknown option '%s'", argv[i]);
    }
    if (json)
        printf("{\"version\": \"%s\"}\n", lathe_version());
    else
        printf("lathe %s\n", lathe_version());
    return CLI_OK;
}

const cli_command cli_version_command = {"version", "print the version", run, help};
