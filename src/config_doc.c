/* config_doc.c — the config reference, generated from the schema (config.c): Markdown
 * for docs/config.md and roff for the key list of lintrain.1 (make reference writes
 * both; test_reference checks that the committed files are current). */
#include "lintrain/config_doc.h"

#include <stdio.h>
#include <string.h>

#include "lintrain/config.h"

/* s into a Markdown table cell: '|' escaped. */
static void md_cell(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '|') {
            fputc('\\', out);
        }
        fputc(*s, out);
    }
}

/* What the key accepts: its range, or its choices. */
static const char *allowed(const lt_jc_key_doc *d, char *buf, size_t cap)
{
    if (d->range[0]) {
        snprintf(buf, cap, "%s", d->range);
    } else if (d->choices[0]) {
        snprintf(buf, cap, "one of: %s", d->choices);
    } else {
        buf[0] = '\0';
    }
    return buf;
}

/* Who uses the key: "all", or "optimizer.name: momentum, nesterov". */
static const char *users(const lt_jc_key_doc *d, char *buf, size_t cap)
{
    if (d->used_key[0]) {
        snprintf(buf, cap, "%s: %s", d->used_key, d->used_by);
    } else {
        snprintf(buf, cap, "all");
    }
    return buf;
}

static void md_row(FILE *out, const lt_jc_key *k, const lt_jc_key_doc *d)
{
    char a[600], u[700];
    fprintf(out, "| `%s` | %s | ", k->path, d->type);
    md_cell(out, d->def[0] ? d->def : "");
    fputs(" | ", out);
    md_cell(out, allowed(d, a, sizeof a));
    fputs(" | ", out);
    md_cell(out, users(d, u, sizeof u));
    fputs(" | ", out);
    md_cell(out, k->doc ? k->doc : "");
    fputs(" |\n", out);
}

/* Calls write for each key of the schema, described. */
static lt_status each_key(FILE *out, lt_error *err,
                          void (*write)(FILE *out, const lt_jc_key *k, const lt_jc_key_doc *d))
{
    size_t n;
    const lt_jc_key *keys = lt_config_schema(&n);
    for (size_t i = 0; i < n; i++) {
        lt_jc_key_doc d;
        lt_status st = lt_jsonconf_describe(keys, n, i, &d, err);
        if (st != LT_OK) {
            return st;
        }
        write(out, &keys[i], &d);
    }
    return ferror(out) ? lt_fail(err, LT_ERR, "writing the reference failed") : LT_OK;
}

/* A section's heading and table head, or a key's row. */
static void md_entry(FILE *out, const lt_jc_key *k, const lt_jc_key_doc *d)
{
    if (k->type != LT_JC_OBJECT) {
        md_row(out, k, d);
        return;
    }
    char u[700];
    fprintf(out, "\n## %s\n\n%s", k->path, k->doc ? k->doc : "");
    if (d->used_key[0]) {
        fprintf(out, " (used by %s)", users(d, u, sizeof u));
    }
    fputs(".\n\n| key | type | default | allowed | used by | description |\n"
          "|---|---|---|---|---|---|\n", out);
}

lt_status lt_config_doc_markdown(FILE *out, lt_error *err)
{
    fputs("# Configuration reference\n\n"
          "<!-- Generated from the schema in src/config.c by `lintrain config --reference`\n"
          "     (make reference); edit the schema, not this file. -->\n\n"
          "A config is a JSON object of the sections below; every key has a default. A key\n"
          "that the choice in its \"used by\" column does not use is an error. `--set\n"
          "key.path=VALUE` overrides a key. The run folder's config.json is the resolved\n"
          "config, every default filled in.\n",
          out);
    return each_key(out, err, md_entry);
}

/* s as roff text: backslashes and hyphens escaped. */
static void roff(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\') {
            fputs("\\e", out);
        } else if (*s == '-') {
            fputs("\\-", out);
        } else {
            fputc(*s, out);
        }
    }
}

/* A key's .TP entry; sections have none. */
static void man_entry(FILE *out, const lt_jc_key *k, const lt_jc_key_doc *d)
{
    if (k->type == LT_JC_OBJECT) {
        return;
    }
    char a[600], u[700];
    fprintf(out, ".TP\n.B %s\n\\&[", k->path);
    roff(out, d->def);
    fputs("] ", out);
    roff(out, d->type);
    fputs(": ", out);
    roff(out, k->doc ? k->doc : "");
    if (allowed(d, a, sizeof a)[0]) {
        fputs("; ", out);
        roff(out, a);
    }
    if (d->used_key[0]) {
        fputs("; used by ", out);
        roff(out, users(d, u, sizeof u));
    }
    fputs(".\n", out);
}

lt_status lt_config_doc_man(FILE *out, lt_error *err)
{
    return each_key(out, err, man_entry);
}
