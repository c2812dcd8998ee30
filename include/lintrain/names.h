/* names.h — class-name files: one name a line (CIFAR-100's fine_label_names.txt and
 * coarse_label_names.txt, an npy data set's data.class_names). */
#ifndef LINTRAIN_NAMES_H
#define LINTRAIN_NAMES_H

#include <stddef.h>

#include "lintrain/cifar.h" /* LT_CLASS_NAME_MAX */
#include "lintrain/common.h"

#define LT_NAMES_MAX 65536 /* labels are uint16 */

/* Reads path: line k (from 0) names class k. Trailing white space (and a Windows '\r')
 * is dropped; blank lines are allowed only at the end. An empty file, a blank line
 * between names, a NUL byte, a name of LT_CLASS_NAME_MAX bytes or more, more than
 * LT_NAMES_MAX names is an error naming the file and line.
 * *names (malloc'ed, caller frees) gets *n names. */
lt_status lt_names_read(const char *path, char (**names)[LT_CLASS_NAME_MAX], size_t *n,
                        lt_error *err);

#endif
