/* test_docs.c — the manual holds together: every relative link of README.md and of the
 * .md pages of docs/ points to a file that exists, every "#anchor" (in the same page or
 * another one) to a heading of that page, and README.md stays a front door (at most 300 lines)
 * without development history. External links (http:, https:, mailto:) are not
 * followed. */
#include <ctype.h>
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "testutil.h"

#define MAX_PAGES 64

/* GitHub's anchor for a heading: lower case, spaces to '-', punctuation dropped
 * (letters, digits, '-' and '_' and non-ASCII bytes stay). */
static void slug(const char *heading, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 1 < cap; i++) {
        unsigned char c = (unsigned char)heading[i];
        if (c == ' ') {
            out[n++] = '-';
        } else if (isalnum(c) || c == '-' || c == '_' || c >= 0x80) {
            out[n++] = (char)tolower(c);
        }
    }
    out[n] = '\0';
}

/* Does the Markdown text have a heading whose anchor is `anchor`? Headings inside
 * code fences do not count. */
static int has_anchor(const char *text, const char *anchor)
{
    int fenced = 0;
    for (const char *line = text; line && *line; ) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len >= 3 && strncmp(line, "```", 3) == 0) {
            fenced = !fenced;
        } else if (!fenced && line[0] == '#') {
            size_t h = 0;
            while (h < len && line[h] == '#') {
                h++;
            }
            while (h < len && line[h] == ' ') {
                h++;
            }
            char s[256];
            slug(line + h, len - h, s, sizeof s);
            if (strcmp(s, anchor) == 0) {
                return 1;
            }
        }
        line = end ? end + 1 : NULL;
    }
    return 0;
}

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Checks one link target of `page` (whose folder is `dir`, "" for the top); returns
 * 0 when it holds, else fills `why`. */
static int check_target(const char *page, const char *text, const char *dir,
                        const char *target, char *why, size_t cap)
{
    if (strncmp(target, "http://", 7) == 0 || strncmp(target, "https://", 8) == 0 ||
        strncmp(target, "mailto:", 7) == 0) {
        return 0;
    }
    char file[512], path[1024];
    snprintf(file, sizeof file, "%s", target);
    char *hash = strchr(file, '#');
    const char *anchor = hash ? hash + 1 : NULL;
    if (hash) {
        *hash = '\0';
    }
    if (file[0] == '\0') {
        if (anchor && !has_anchor(text, anchor)) {
            snprintf(why, cap, "%s: no heading for #%s", page, anchor);
            return 1;
        }
        return 0;
    }
    snprintf(path, sizeof path, "%s%s", dir, file);
    if (!is_file(path)) {
        snprintf(why, cap, "%s: link to %s: %s does not exist", page, target, path);
        return 1;
    }
    size_t n = strlen(path);
    if (anchor && n > 3 && strcmp(path + n - 3, ".md") == 0) {
        char *other = tu_read_file(path, NULL);
        int ok = other && has_anchor(other, anchor);
        free(other);
        if (!ok) {
            snprintf(why, cap, "%s: link to %s: %s has no heading for #%s", page, target,
                     path, anchor);
            return 1;
        }
    }
    return 0;
}

/* Every "](target)" outside code fences and inline code; returns the failures. */
static int check_page(const char *page)
{
    char *text = tu_read_file(page, NULL);
    assert_non_null(text);
    char dir[512];
    snprintf(dir, sizeof dir, "%s", page);
    char *slash = strrchr(dir, '/');
    if (slash) {
        slash[1] = '\0';
    } else {
        dir[0] = '\0';
    }
    int bad = 0, fenced = 0, code = 0;
    for (const char *p = text; *p; p++) {
        if (p == text || p[-1] == '\n') {
            if (strncmp(p, "```", 3) == 0) {
                fenced = !fenced;
            }
        }
        if (*p == '`') {
            code = !code;
        }
        if (*p == '\n') {
            code = 0;
        }
        if (fenced || code || strncmp(p, "](", 2) != 0) {
            continue;
        }
        const char *t = p + 2, *end = strpbrk(t, ") \n");
        if (!end || *end != ')') {
            continue;
        }
        char target[512], why[1600];
        snprintf(target, sizeof target, "%.*s", (int)(end - t), t);
        if (check_target(page, text, dir, target, why, sizeof why) != 0) {
            fprintf(stderr, "%s\n", why);
            bad++;
        }
    }
    free(text);
    return bad;
}

/* A page name: "docs/" and a file name of up to 255 bytes. */
#define PAGE_NAME 272

/* README.md and the .md pages of docs/; returns how many. */
static int pages(char names[][PAGE_NAME], int cap)
{
    int n = 0;
    snprintf(names[n++], PAGE_NAME, "README.md");
    DIR *d = opendir("docs");
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d)) != NULL && n < cap; ) {
        size_t len = strlen(e->d_name);
        if (len > 3 && strcmp(e->d_name + len - 3, ".md") == 0) {
            snprintf(names[n++], PAGE_NAME, "docs/%s", e->d_name);
        }
    }
    closedir(d);
    return n;
}

static void test_links_resolve(void **state)
{
    (void)state;
    char names[MAX_PAGES][PAGE_NAME];
    int n = pages(names, MAX_PAGES), bad = 0;
    assert_true(n >= 5);
    for (int i = 0; i < n; i++) {
        bad += check_page(names[i]);
    }
    bad += check_page("docs/lecture/README.md");
    if (bad) {
        fail_msg("%d broken link(s) in the docs (listed above)", bad);
    }
}

/* The checker itself: a missing file, a missing anchor and a good link. */
static void test_checker_finds_broken_links(void **state)
{
    (void)state;
    char why[1600];
    const char *text = "# A title\n\n## The run folder: `--force`\n";
    assert_int_equal(check_target("x.md", text, "", "nope/missing.md", why, sizeof why), 1);
    assert_int_equal(check_target("x.md", text, "", "#no-such-heading", why, sizeof why), 1);
    assert_int_equal(check_target("x.md", text, "", "#the-run-folder---force", why, sizeof why),
                     0);
    assert_int_equal(check_target("x.md", text, "", "README.md", why, sizeof why), 0);
    assert_int_equal(check_target("x.md", text, "", "README.md#no-such-heading", why,
                                  sizeof why), 1);
    assert_int_equal(check_target("x.md", text, "", "https://example.org/x", why, sizeof why),
                     0);
}

static void test_readme_is_a_front_door(void **state)
{
    (void)state;
    char *readme = tu_read_file("README.md", NULL);
    assert_non_null(readme);
    int lines = 0;
    for (const char *p = readme; *p; p++) {
        lines += *p == '\n';
    }
    if (lines > 300) {
        fail_msg("README.md has %d lines; at most 300 (the rest belongs in docs/)", lines);
    }
    free(readme);
}

/* Phrases of a lab notebook, not of a manual. */
static void test_no_development_history(void **state)
{
    (void)state;
    static const char *phrases[] = {"trial merge", "this branch", "the issue", "engineers",
                                    "load average", "development machine"};
    char names[MAX_PAGES][PAGE_NAME];
    int n = pages(names, MAX_PAGES), bad = 0;
    for (int i = 0; i < n; i++) {
        char *text = tu_read_file(names[i], NULL);
        assert_non_null(text);
        for (char *p = text; *p; p++) {
            *p = (char)tolower((unsigned char)*p);
        }
        for (size_t k = 0; k < sizeof phrases / sizeof phrases[0]; k++) {
            if (strstr(text, phrases[k])) {
                fprintf(stderr, "%s: \"%s\"\n", names[i], phrases[k]);
                bad++;
            }
        }
        free(text);
    }
    if (bad) {
        fail_msg("%d phrase(s) of development history in the docs (listed above)", bad);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checker_finds_broken_links),
        cmocka_unit_test(test_links_resolve),
        cmocka_unit_test(test_readme_is_a_front_door),
        cmocka_unit_test(test_no_development_history),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
