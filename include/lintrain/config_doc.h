/* config_doc.h — the config reference, generated from the schema of config.c: every
 * key with its path, type, default (per optimizer where it differs), range or choices,
 * the choices that use it, and its one line of documentation. */
#ifndef LINTRAIN_CONFIG_DOC_H
#define LINTRAIN_CONFIG_DOC_H

#include <stdio.h>

#include "lintrain/common.h"

/* The reference as Markdown (docs/config.md). */
lt_status lt_config_doc_markdown(FILE *out, lt_error *err);

/* The key list of lintrain.1's CONFIGURATION section: one .TP entry per key. */
lt_status lt_config_doc_man(FILE *out, lt_error *err);

#endif
