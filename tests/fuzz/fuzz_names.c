/* fuzz_names.c — libFuzzer harness for class-name files (names.c).
 *
 * The input is written as names.txt and read. Properties, against a reading of the
 * same bytes done here line by line: accepted exactly when there is at least one name,
 * no blank line comes between two names, no line holds a NUL byte and no name is 64
 * bytes or more; the names are then those lines, trailing white space removed, in
 * order. */
#include "fuzz_util.h"

#include <ctype.h>

#include "lintrain/names.h"

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif

int FUZZ_ENTRY(const uint8_t *data, size_t size);

/* The end of the line starting at at (its '\n' or the end of the data). */
static size_t names_line_end(const uint8_t *data, size_t size, size_t at)
{
    const uint8_t *nl = memchr(data + at, '\n', size - at);
    return nl ? (size_t)(nl - data) : size;
}

/* Walks the lines; with names given, checks that they match. Returns validity. */
static int names_walk(const uint8_t *data, size_t size, char (*names)[LT_CLASS_NAME_MAX],
                      size_t n)
{
    size_t count = 0, blank = 0;
    for (size_t at = 0; at < size;) {
        size_t end = names_line_end(data, size, at), len = end - at;
        if (memchr(data + at, '\0', len)) {
            return 0;
        }
        while (len > 0 && isspace(data[at + len - 1])) {
            len--;
        }
        if (len == 0) {
            blank = 1;
        } else if (blank || len >= LT_CLASS_NAME_MAX || count == LT_NAMES_MAX) {
            return 0;
        } else {
            FUZZ_CHECK(!names || (count < n && strlen(names[count]) == len &&
                                  memcmp(names[count], data + at, len) == 0));
            count++;
        }
        at = end + 1;
    }
    FUZZ_CHECK(!names || count == n);
    return count > 0;
}

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write("names.txt", data, size);
    char (*names)[LT_CLASS_NAME_MAX] = NULL;
    size_t n = 0;
    lt_error err = {{0}};
    lt_status st = lt_names_read(path, &names, &n, &err);
    FUZZ_CHECK((st == LT_OK) == names_walk(data, size, NULL, 0));
    if (st == LT_OK) {
        names_walk(data, size, names, n);
    } else {
        FUZZ_CHECK(err.msg[0] != '\0' && names == NULL);
    }
    free(names);
    return 0;
}
