/* json_diag.c — naming the first mistake of a JSON text (see json_diag.h).
 *
 * A recursive descent over RFC 8259's grammar that stops at the first byte it cannot
 * take and says why, in the terms of the mistake a hand-written config is likely to
 * hold. It accepts nothing cJSON refuses that matters here: it only explains. */
#include "lintrain/json_diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define DEPTH_MAX 1000  /* cJSON's nesting limit */

typedef struct {
    const char *s;
    size_t n, i;
    int depth;
    size_t at;   /* where the mistake is */
    char *why;
    size_t cap;
} scan;

/* Records the mistake at byte at; always returns false (the scan stops). */
__attribute__((format(printf, 3, 4)))
static bool mistake(scan *p, size_t at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->why, p->cap, fmt, ap);
    va_end(ap);
    p->at = at;
    return false;
}

static bool at_end(const scan *p)
{
    return p->i >= p->n;
}

static char peek(const scan *p)
{
    return at_end(p) ? '\0' : p->s[p->i];
}

static void skip_space(scan *p)
{
    while (!at_end(p) && strchr(" \t\r\n", p->s[p->i])) {
        p->i++;
    }
}

static bool is_word_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch == '-' || ch == '.' || ch == '+';
}

/* The mistakes that can stand where a value or a key should: a comment, single
 * quotes, a bare word, the end of the file. what is "a value" or "a key". */
static bool not_a_start(scan *p, const char *what)
{
    size_t at = p->i;
    char ch = peek(p);
    if (at_end(p)) {
        return mistake(p, at, "the file ends where %s should be (an unclosed { or [?)", what);
    }
    if (ch == '/' && p->i + 1 < p->n && (p->s[p->i + 1] == '/' || p->s[p->i + 1] == '*')) {
        return mistake(p, at, "a %s comment: JSON has no comments",
                       p->s[p->i + 1] == '/' ? "//" : "/* */");
    }
    if (ch == '\'') {
        return mistake(p, at, "single quotes: JSON strings take double quotes (\")");
    }
    if (is_word_char(ch)) {
        size_t end = at;
        while (end < p->n && is_word_char(p->s[end])) {
            end++;
        }
        int len = (int)(end - at > 40 ? 40 : end - at);
        return mistake(p, at, "bare word \"%.*s\" where %s should be: strings take double "
                       "quotes (\"%.*s\"), and the only words are true, false and null",
                       len, p->s + at, what, len, p->s + at);
    }
    return mistake(p, at, "'%c' where %s should be", ch, what);
}

static bool value(scan *p);

/* A string at the opening '"'. */
static bool string(scan *p)
{
    size_t open = p->i++;
    while (!at_end(p)) {
        unsigned char ch = (unsigned char)p->s[p->i];
        if (ch == '"') {
            p->i++;
            return true;
        }
        if (ch == '\n') {
            break;
        }
        if (ch < 0x20) {
            return mistake(p, p->i, "a control character (byte %u) inside a string: write it "
                           "as an escape such as \\n or \\t", ch);
        }
        if (ch == '\\') {
            char e = p->i + 1 < p->n ? p->s[p->i + 1] : '\0';
            if (!e || !strchr("\"\\/bfnrtu", e)) {
                return mistake(p, p->i, "invalid escape in a string: a backslash is written "
                               "\\\\ (escapes: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
            }
            p->i += 2;
            continue;
        }
        p->i++;
    }
    return mistake(p, open, "unterminated string: no closing \" on its line");
}

/* RFC 8259: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool number(scan *p)
{
    size_t start = p->i;
    const char *s = p->s;
    size_t i = p->i;
    if (i < p->n && s[i] == '-') {
        i++;
    }
    size_t digits = i;
    while (i < p->n && s[i] >= '0' && s[i] <= '9') {
        i++;
    }
    bool ok = i > digits && !(s[digits] == '0' && i - digits > 1);
    if (ok && i < p->n && s[i] == '.') {
        size_t frac = ++i;
        while (i < p->n && s[i] >= '0' && s[i] <= '9') {
            i++;
        }
        ok = i > frac;
    }
    if (ok && i < p->n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < p->n && (s[i] == '+' || s[i] == '-')) {
            i++;
        }
        size_t exp = i;
        while (i < p->n && s[i] >= '0' && s[i] <= '9') {
            i++;
        }
        ok = i > exp;
    }
    if (!ok || (i < p->n && is_word_char(s[i]))) {
        size_t end = i;
        while (end < p->n && is_word_char(s[end])) {
            end++;
        }
        int len = (int)(end - start > 40 ? 40 : end - start);
        return mistake(p, start, "invalid number \"%.*s\"", len, s + start);
    }
    p->i = i;
    return true;
}

/* After a member or an item: a comma, the closing bracket, or one of the mistakes. */
static bool separator(scan *p, char close, size_t value_end, bool *done)
{
    skip_space(p);
    char ch = peek(p);
    *done = ch == close;
    if (*done) {
        p->i++;
        return true;
    }
    if (ch == ',') {
        size_t comma = p->i++;
        skip_space(p);
        if (peek(p) == close) {
            return mistake(p, comma, "trailing comma before \"%c\": JSON allows none", close);
        }
        return true;
    }
    if (ch == '"' || ch == '{' || ch == '[' || ch == '\'' || is_word_char(ch)) {
        return mistake(p, value_end, "missing comma between this value and the next %s",
                       close == '}' ? "key" : "item");
    }
    if (ch == '/' || at_end(p)) {
        return not_a_start(p, close == '}' ? "\",\" or \"}\"" : "\",\" or \"]\"");
    }
    return mistake(p, p->i, "'%c' where \",\" or \"%c\" should be", ch, close);
}

static bool object(scan *p)
{
    p->i++;
    skip_space(p);
    if (peek(p) == '}') {
        p->i++;
        return true;
    }
    for (bool done = false; !done;) {
        skip_space(p);
        if (peek(p) != '"') {
            return not_a_start(p, "a key in double quotes");
        }
        if (!string(p)) {
            return false;
        }
        size_t key_end = p->i;
        skip_space(p);
        if (peek(p) != ':') {
            if (peek(p) == '/') {
                return not_a_start(p, "\":\"");
            }
            return mistake(p, key_end, "missing colon after the key");
        }
        p->i++;
        if (!value(p) || !separator(p, '}', p->i, &done)) {
            return false;
        }
    }
    return true;
}

static bool array(scan *p)
{
    p->i++;
    skip_space(p);
    if (peek(p) == ']') {
        p->i++;
        return true;
    }
    for (bool done = false; !done;) {
        if (!value(p) || !separator(p, ']', p->i, &done)) {
            return false;
        }
    }
    return true;
}

static bool word(scan *p)
{
    static const char *const words[] = {"true", "false", "null"};
    for (size_t k = 0; k < 3; k++) {
        size_t len = strlen(words[k]);
        if (p->n - p->i >= len && memcmp(p->s + p->i, words[k], len) == 0 &&
            !(p->i + len < p->n && is_word_char(p->s[p->i + len]))) {
            p->i += len;
            return true;
        }
    }
    return not_a_start(p, "a value");
}

/* A value, after optional space; p->i ends just past it. */
static bool value(scan *p)
{
    skip_space(p);
    char ch = peek(p);
    if (ch == '{' || ch == '[') {
        if (++p->depth > DEPTH_MAX) {
            return mistake(p, p->i, "nested more than %d levels deep", DEPTH_MAX);
        }
        bool ok = ch == '{' ? object(p) : array(p);
        p->depth--;
        return ok;
    }
    if (ch == '"') {
        return string(p);
    }
    if (ch == '-' || (ch >= '0' && ch <= '9')) {
        return number(p);
    }
    if (ch >= 'a' && ch <= 'z') {
        return word(p);
    }
    return not_a_start(p, "a value");
}

bool lt_json_diag_diagnose(const char *text, size_t n, size_t *at, char *why, size_t cap)
{
    scan p = {text, n, 0, 0, 0, why, cap};
    skip_space(&p);
    if (at_end(&p)) {
        mistake(&p, p.i, "no JSON value: the file holds only white space");
    } else if (value(&p)) {
        skip_space(&p);
        if (at_end(&p)) {
            return false;
        }
        if (peek(&p) == '/') {
            not_a_start(&p, "the end of the file");
        } else {
            mistake(&p, p.i, "more text after the end of the JSON value (one object per file)");
        }
    }
    *at = p.at;
    return true;
}

void lt_json_diag_position(const char *text, size_t at, size_t *line, size_t *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < at; i++) {
        if (text[i] == '\n') {
            ++*line;
            *col = 1;
        } else {
            ++*col;
        }
    }
}

#define EXCERPT_WIDTH 72  /* longest piece of a line shown */

void lt_json_diag_excerpt(const char *text, size_t n, size_t at, char *buf, size_t cap)
{
    size_t line, col;
    lt_json_diag_position(text, at, &line, &col);
    size_t start = at - (col - 1), end = start;
    while (end < n && text[end] != '\n') {
        end++;
    }
    if (end > start && text[end - 1] == '\r') {
        end--;
    }
    /* A window of the line that holds the column. */
    size_t from = start, to = end;
    if (at - start > EXCERPT_WIDTH / 2 && to - from > EXCERPT_WIDTH) {
        from = at - EXCERPT_WIDTH / 2;
    }
    if (to - from > EXCERPT_WIDTH) {
        to = from + EXCERPT_WIDTH;
    }
    char shown[EXCERPT_WIDTH + 1], pad[EXCERPT_WIDTH + 2];
    size_t k = 0;
    for (size_t i = from; i < to; i++, k++) {
        unsigned char ch = (unsigned char)text[i];
        shown[k] = ch == '\t' || (ch >= 0x20 && ch != 0x7f) ? (char)ch : '?';
        pad[k] = ch == '\t' ? '\t' : ' ';
    }
    shown[k] = '\0';
    pad[at - from < k ? at - from : k] = '\0';
    char num[24];
    int w = snprintf(num, sizeof num, "%zu", line);
    const char *cut = from > start ? "..." : "";
    snprintf(buf, cap, "    %s | %s%s\n    %*s | %*s%s^", num, cut, shown, w, "",
             (int)strlen(cut), "", pad);
}
