/* json_diag.h — what is wrong with a JSON text that the parser refused, in words.
 *
 * cJSON gives only the byte where it stopped, often a few bytes past the mistake. This
 * small scanner walks the text with JSON's grammar and names the first mistake a person
 * makes by hand: a trailing comma, a missing comma or colon, a comment (JSON has none),
 * an unterminated string, single quotes, a bare word. */
#ifndef LINTRAIN_JSON_DIAG_H
#define LINTRAIN_JSON_DIAG_H

#include <stdbool.h>
#include <stddef.h>

/* Scans the n bytes of text. When it finds a mistake, returns true with *at the byte
 * offset to point at and why a short phrase ("trailing comma before \"}\": JSON allows
 * none"). Returns false when the text is valid JSON as far as this scanner knows (the
 * caller then keeps the parser's own position). */
bool lt_json_diag_diagnose(const char *text, size_t n, size_t *at, char *why, size_t cap);

/* "line L, column C" of byte at (both from 1; a column counts bytes), and the line
 * itself with a caret under that column, as two lines each indented by 4 spaces and
 * without a final newline. Control bytes of the line show as '?', tabs are kept (so
 * the caret lines up); a long line shows a window around the column. */
void lt_json_diag_position(const char *text, size_t at, size_t *line, size_t *col);
void lt_json_diag_excerpt(const char *text, size_t n, size_t at, char *buf, size_t cap);

#endif
