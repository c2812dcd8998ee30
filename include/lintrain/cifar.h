/* cifar.h — the CIFAR binary layouts: loading into a dataset (dataset.h), class names.
 *
 * A CIFAR-10 file is a whole number of 3073-byte records: 1 label byte (0..9) followed
 * by 3072 pixel bytes; a CIFAR-100 file one of 3074-byte records: a coarse label byte
 * (0..19), a fine label byte (0..99), then the pixels. The pixels are 1024 red,
 * 1024 green, 1024 blue, each plane row-major 32x32. Pixels stay uint8 in memory
 * (150 MB for the full set); minibatches are converted to float when used (see
 * preprocess.h). */
#ifndef LINTRAIN_CIFAR_H
#define LINTRAIN_CIFAR_H

#include <stddef.h>
#include <stdint.h>

#include "lintrain/common.h"
#include "lintrain/dataset.h"

#define LT_CIFAR_D 3072          /* features per image */
#define LT_CIFAR_C 10            /* classes */
#define LT_CIFAR_RECORD 3073     /* bytes per record */
#define LT_CLASS_NAME_MAX 64     /* bytes per class name, with the NUL */

/* One layout of the family: the bytes of a record, which of them is the label (the
 * pixels are the last LT_CIFAR_D), and the number of classes. */
typedef struct {
    const char *name;   /* "CIFAR-10", "CIFAR-100 (fine labels)": for messages */
    size_t record;      /* bytes per record */
    size_t label_at;    /* the label's byte in the record */
    unsigned classes;   /* labels are 0..classes-1 */
    const char *label;  /* "label", "fine label", "coarse label": for messages */
} lt_cifar_layout;

extern const lt_cifar_layout LT_CIFAR10_LAYOUT, LT_CIFAR100_FINE, LT_CIFAR100_COARSE;

/* lt_cifar_load and lt_cifar_count for any layout of the family. */
lt_status lt_cifar_load_as(const lt_cifar_layout *layout, const char *dir,
                           const char *const *files, size_t nfiles, lt_dataset *out,
                           lt_error *err);
lt_status lt_cifar_count_as(const lt_cifar_layout *layout, const char *dir,
                            const char *const *files, size_t nfiles, size_t *records,
                            lt_error *err);

/* Loads and concatenates files[0..nfiles) found in dir (a file name that is an
 * absolute path is used as is). Errors name the file and, where it applies, the
 * record: missing or unreadable file, size not a multiple of 3073, a label > 9,
 * zero records. On failure *out is left empty. Free with lt_dataset_free. */
lt_status lt_cifar_load(const char *dir, const char *const *files, size_t nfiles,
                        lt_dataset *out, lt_error *err);

/* The number of records of files[0..nfiles) in dir, from their sizes, each file opened
 * to be sure it can be read; the same errors as lt_cifar_load about the files, none
 * about the labels (nothing is read). */
lt_status lt_cifar_count(const char *dir, const char *const *files, size_t nfiles,
                         size_t *records, lt_error *err);

/* Reads class names from dir/batches.meta.txt: the first LT_CIFAR_C non-empty lines,
 * trailing white space removed. When the file does not exist, fills the standard
 * CIFAR-10 names and returns LT_OK; a file that exists but has fewer than 10 names,
 * or a name longer than LT_CLASS_NAME_MAX - 1, is an error naming the file. */
lt_status lt_cifar_class_names(const char *dir, char names[LT_CIFAR_C][LT_CLASS_NAME_MAX],
                               lt_error *err);

#endif
