/* fuzz_config.c — libFuzzer harness for config parsing and validation (config.c).
 *
 * Input: the first byte's low two bits give n, the number of --set overrides (0..3);
 * the last n NUL-separated pieces of the rest are the overrides, and what precedes them
 * is the config file (so with n = 0 it may hold NUL bytes).
 * Properties: a refused config gives LT_ECONFIG with one non-empty line (three for a
 * JSON syntax error: the message, the file's line, a caret); an accepted one
 * prints as JSON that loads again to the very same JSON (the round trip the run
 * folder's config.json relies on). */
#include "fuzz_util.h"

#include "lintrain/config.h"

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif

#define MAX_SETS 3

int FUZZ_ENTRY(const uint8_t *data, size_t size);

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    size_t n_sets = data[0] & 3u;
    char *rest = malloc(size); /* data[1..size) plus a NUL */
    FUZZ_CHECK(rest != NULL);
    memcpy(rest, data + 1, size - 1);
    rest[size - 1] = '\0';
    /* Peel n_sets pieces off the end; rest[end] is always a NUL. */
    size_t end = size - 1;
    const char *sets[MAX_SETS];
    size_t found = 0;
    while (found < n_sets) {
        size_t i = end;
        while (i > 0 && rest[i - 1] != '\0') {
            i--;
        }
        if (i == 0) {
            break;
        }
        sets[MAX_SETS - 1 - found] = rest + i;
        found++;
        end = i - 1;
    }
    size_t file_len = end;
    const char **set_list = sets + (MAX_SETS - found);
    const char *path = fuzz_write("config.json", rest, file_len);
    lt_config cfg;
    lt_error err = {{0}};
    lt_status st = lt_config_load(&cfg, path, set_list, found, &err);
    if (st != LT_OK) {
        FUZZ_CHECK(st == LT_ECONFIG || st == LT_ERR);
        FUZZ_CHECK(err.msg[0] != '\0');
        /* One line; a JSON syntax error adds the file's line and a caret under it. */
        const char *nl = strchr(err.msg, '\n');
        if (nl && strstr(err.msg, ": invalid JSON at line ")) {
            nl = strchr(nl + 1, '\n');
            FUZZ_CHECK(nl != NULL && strchr(nl + 1, '\n') == NULL && strchr(nl, '^'));
        } else {
            FUZZ_CHECK(nl == NULL);
        }
    } else {
        char *json = lt_config_to_json(&cfg);
        FUZZ_CHECK(json != NULL);
        const char *again_path = fuzz_write("resolved.json", json, strlen(json));
        lt_config again;
        lt_status st2 = lt_config_load(&again, again_path, NULL, 0, &err);
        if (st2 != LT_OK) {
            fprintf(stderr, "resolved config refused: %s\n%s", err.msg, json);
        }
        FUZZ_CHECK(st2 == LT_OK);
        char *json2 = lt_config_to_json(&again);
        FUZZ_CHECK(json2 != NULL && strcmp(json, json2) == 0);
        free(json2);
        free(json);
        lt_config_free(&again);
    }
    lt_config_free(&cfg);
    free(rest);
    return 0;
}
