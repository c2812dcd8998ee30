/* cli_args.c — --config, --set and --out, shared by every subcommand. */
#include "lintrain/cli_args.h"

#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lintrain/suggest.h"

int lt_cli_config_args_init(lt_cli_config_args *a, int argc)
{
    memset(a, 0, sizeof *a);
    a->sets = calloc((size_t)(argc > 0 ? argc : 0) + 1, sizeof *a->sets);
    return a->sets ? 0 : -1;
}

const char *lt_cli_option_value(const char *name, int argc, char **argv, int *i)
{
    size_t len = strlen(name);
    if (strncmp(argv[*i], name, len) != 0) {
        return NULL;
    }
    if (argv[*i][len] == '=') {
        return argv[*i] + len + 1;
    }
    if (argv[*i][len] == '\0' && *i + 1 < argc) {
        return argv[++*i];
    }
    return NULL;
}

/* "output.dir=<dir as a JSON string>", so that a folder named 123 stays a string. */
static char *out_dir_set(const char *dir)
{
    cJSON *s = cJSON_CreateString(dir);
    char *quoted = s ? cJSON_PrintUnformatted(s) : NULL;
    cJSON_Delete(s);
    if (!quoted) {
        return NULL;
    }
    size_t len = strlen(quoted) + sizeof "output.dir=";
    char *set = malloc(len);
    if (set) {
        snprintf(set, len, "output.dir=%s", quoted);
    }
    free(quoted);
    return set;
}

int lt_cli_config_option(lt_cli_config_args *a, int allow_out, int argc, char **argv, int *i)
{
    const char *v;
    if ((v = lt_cli_option_value("--config", argc, argv, i))) {
        a->config = v;
    } else if ((v = lt_cli_option_value("--set", argc, argv, i))) {
        a->sets[a->n_sets++] = v;
    } else if (allow_out && (v = lt_cli_option_value("--out", argc, argv, i))) {
        free(a->out_set);
        a->out_set = out_dir_set(v);
        if (!a->out_set) {
            return -1;
        }
    } else {
        return 0;
    }
    return 1;
}

int lt_cli_config_args_set_out(lt_cli_config_args *a, const char *dir)
{
    free(a->out_set);
    a->out_set = out_dir_set(dir);
    if (!a->out_set) {
        return -1;
    }
    a->sets[a->n_sets++] = a->out_set;
    return 0;
}

void lt_cli_config_args_finish(lt_cli_config_args *a)
{
    if (a->out_set) {
        a->sets[a->n_sets++] = a->out_set;
    }
}

void lt_cli_config_args_free(lt_cli_config_args *a)
{
    if (!a) {
        return;
    }
    free(a->sets);
    free(a->out_set);
    memset(a, 0, sizeof *a);
}

/* The options every subcommand's parser takes (--out only where allowed). */
#define COMMON_OPTIONS "--config|--set|--help"

int lt_cli_bad_option(const char *command, const char *arg, const char *options)
{
    /* "--confg=x" is judged by its name; a bare "--config" lacks its value. */
    char name[72];
    snprintf(name, sizeof name, "%.*s", (int)strcspn(arg, "="), arg);
    size_t n = 0;
    const char *best = options ? lt_suggest(name, options, &n) : NULL;
    if (best && !(strlen(name) == n && strncmp(name, best, n) == 0)) {
        fprintf(stderr, "lintrain: unknown option \"%s\" (did you mean \"%.*s\"? try lintrain "
                "%s%s--help)\n", arg, (int)n, best, command ? command : "", command ? " " : "");
    } else {
        fprintf(stderr, "lintrain: unknown or incomplete option \"%s\" (try lintrain %s%s--help)\n",
                arg, command ? command : "", command ? " " : "");
    }
    return 2;
}

void lt_cli_print_notes(const char *notes)
{
    for (const char *p = notes; p && *p;) {
        size_t n = strcspn(p, "\n");
        fprintf(stderr, "lintrain: %.*s\n", (int)n, p);
        p += n + (p[n] == '\n');
    }
}

int lt_cli_is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

int lt_cli_parse_count(const char *option, const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 || v > SIZE_MAX) {
        fprintf(stderr, "lintrain: %s: expected a whole number, got \"%s\"\n", option, s);
        return 2;
    }
    *out = (size_t)v;
    return 0;
}

int lt_cli_parse_positive(const char *option, const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || errno != 0 || !isfinite(v) || !(v > 0)) {
        fprintf(stderr, "lintrain: %s: expected a number above 0, got \"%s\"\n", option, s);
        return 2;
    }
    *out = v;
    return 0;
}

int lt_cli_parse(const char *command, const char *options, int argc, char **argv,
                 int allow_out, lt_cli_config_args *a, int *help, lt_cli_extra_fn extra,
                 void *ctx)
{
    *help = 0;
    if (lt_cli_config_args_init(a, argc) != 0) {
        fprintf(stderr, "lintrain: out of memory\n");
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        int used = lt_cli_config_option(a, allow_out, argc, argv, &i);
        if (used < 0) {
            fprintf(stderr, "lintrain: out of memory\n");
            return 1;
        }
        if (used) {
            continue;
        }
        if (lt_cli_is_help(argv[i])) {
            *help = 1;
            continue;
        }
        int rc = extra ? extra(ctx, argc, argv, &i) : 0;
        if (rc == 0) {
            char all[512];
            snprintf(all, sizeof all, "%s%s%s%s", COMMON_OPTIONS, allow_out ? "|--out" : "",
                     options ? "|" : "", options ? options : "");
            return lt_cli_bad_option(command, argv[i], all);
        }
        if (rc != 1) {
            return rc;
        }
    }
    lt_cli_config_args_finish(a);
    return 0;
}

static int run_option(void *ctx, int argc, char **argv, int *i)
{
    const char *v = lt_cli_option_value("--run", argc, argv, i);
    if (v) {
        *(const char **)ctx = v;
    }
    return v != NULL;
}

int lt_cli_parse_run(const char *command, int argc, char **argv, lt_cli_config_args *a,
                     const char **dir, int *help)
{
    *dir = NULL;
    int rc = lt_cli_parse(command, "--run", argc, argv, 0, a, help, run_option, (void *)dir);
    if (rc == 0 && !*help && !*dir) {
        fprintf(stderr, "lintrain: %s needs --run DIR (try lintrain %s --help)\n", command,
                command);
        return 2;
    }
    return rc;
}
