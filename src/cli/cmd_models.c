/*
 * cmd_models.c: `lathe models [NAME]`, the model families and their
 * parameters, named as scikit-learn, XGBoost and LightGBM users know them.
 */
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_model.h"
#include "cli/options.h"

#define NAME "models"

typedef struct models_args {
    const char *family;
    bool json;
} models_args;

static bool set_json(void *target, const char *value, char *why, size_t size)
{
    (void)value;
    (void)why;
    (void)size;
    ((models_args *)target)->json = true;
    return true;
}

static const cli_option models_options[] = {
    {"--json", NULL, "print one JSON object instead of text", set_json},
};

static void help(FILE *out)
{
    fputs("usage: lathe models [NAME] [--json]\n\n"
          "Lists the model families `lathe train --model` takes, with the tasks they do; with\n"
          "NAME, that family's parameters (set them with --set NAME=VALUE), their defaults\n"
          "and what they mean.\n\noptions:\n",
          out);
    cli_option_group group = {models_options, 1, NULL};
    cli_print_options(out, &group, 1);
}

static const char *tasks_of(const lathe_family_info *info)
{
    if (info->classification && info->regression)
        return "classification, regression";
    return info->classification ? "classification" : "regression";
}

static void print_params(size_t family, const lathe_family_info *info)
{
    printf("%s: %s (%s)\n\nparameters (--set NAME=VALUE):\n", info->name, info->summary,
           tasks_of(info));
    lathe_param_info p;
    for (size_t i = 0; lathe_family_param_at(family, i, &p); i++) {
        printf("  %-24s %s, default %s", p.name, p.type, p.default_value);
        if (p.choices)
            printf(" (%s)", p.choices);
        printf("\n      %s\n", p.help);
    }
}

static json_t *family_json(size_t family, const lathe_family_info *info, bool with_params)
{
    json_t *obj = json_pack("{s:s, s:s, s:b, s:b}", "name", info->name, "summary", info->summary,
                            "classification", info->classification, "regression", info->regression);
    if (!with_params)
        return obj;
    json_t *params = json_array();
    lathe_param_info p;
    for (size_t i = 0; lathe_family_param_at(family, i, &p); i++)
        json_array_append_new(params, json_pack("{s:s, s:s, s:s, s:s?, s:s}", "name", p.name,
                                                "type", p.type, "default", p.default_value,
                                                "choices", p.choices, "help", p.help));
    json_object_set_new(obj, "params", params);
    return obj;
}

static int run(int argc, char **argv)
{
    models_args args = {0};
    cli_option_group group = {models_options, 1, &args};
    size_t n;
    int status = cli_parse_options(NAME, argc, argv, &group, 1, &args.family, 1, &n);
    if (status != CLI_OK)
        return status;
    lathe_family_info info;
    json_t *list = json_array();
    bool found = false;
    for (size_t f = 0; lathe_family_at(f, &info); f++) {
        if (args.family && strcmp(args.family, info.name) != 0)
            continue;
        found = true;
        if (args.json)
            json_array_append_new(list, family_json(f, &info, args.family != NULL));
        else if (args.family)
            print_params(f, &info);
        else
            printf("  %-18s %-28s %s\n", info.name, tasks_of(&info), info.summary);
    }
    if (!found) {
        json_decref(list);
        return cli_fail("unknown model \"%s\" (run 'lathe models' for the list)", args.family);
    }
    if (args.json)
        return cli_print_json(json_pack("{s:o}", "models", list)) ? CLI_OK
                                                                  : cli_fail("cannot print JSON");
    json_decref(list);
    if (!args.family)
        printf("\n'lathe models NAME' lists a family's parameters; 'auto' picks logistic or "
               "ridge.\n");
    return CLI_OK;
}

const cli_command cli_models_command = {NAME, "list model families and their parameters", run,
                                        help};
