/* fuzz_cifar.c — libFuzzer harness for the CIFAR-10 loader (cifar.c).
 *
 * The input is written as a batch file and loaded; the same bytes are also read as a
 * batches.meta.txt class file. Properties: a load succeeds exactly when the size is a
 * non-zero multiple of 3073 and every label byte is < 10, and then gives back every
 * label and pixel; class names, when accepted, are 10 non-empty lines of < 64 bytes;
 * a slice copies the records asked for. */
#include "fuzz_util.h"

#include "lintrain/cifar.h"

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif

int FUZZ_ENTRY(const uint8_t *data, size_t size);

/* Whether the bytes are a valid batch file, by the format's definition. */
static int cifar_valid(const uint8_t *data, size_t size)
{
    if (size == 0 || size % LT_CIFAR_RECORD != 0) {
        return 0;
    }
    for (size_t i = 0; i < size; i += LT_CIFAR_RECORD) {
        if (data[i] >= LT_CIFAR_C) {
            return 0;
        }
    }
    return 1;
}

static void cifar_check_names(void)
{
    char names[LT_CIFAR_C][LT_CLASS_NAME_MAX];
    lt_error err = {{0}};
    if (lt_cifar_class_names(fuzz_scratch(), names, &err) == LT_OK) {
        for (int c = 0; c < LT_CIFAR_C; c++) {
            size_t len = strnlen(names[c], LT_CLASS_NAME_MAX);
            FUZZ_CHECK(len > 0 && len < LT_CLASS_NAME_MAX);
            FUZZ_CHECK(strchr(names[c], '\n') == NULL);
        }
    } else {
        FUZZ_CHECK(err.msg[0] != '\0');
    }
}

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
    fuzz_write("batch.bin", data, size);
    fuzz_write("batches.meta.txt", data, size);
    const char *files[1] = {"batch.bin"};
    lt_dataset ds;
    lt_error err = {{0}};
    lt_status st = lt_cifar_load(fuzz_scratch(), files, 1, &ds, &err);
    FUZZ_CHECK((st == LT_OK) == cifar_valid(data, size));
    if (st == LT_OK) {
        FUZZ_CHECK(ds.n == size / LT_CIFAR_RECORD);
        for (size_t i = 0; i < ds.n; i++) {
            FUZZ_CHECK(ds.labels[i] == data[i * LT_CIFAR_RECORD]);
            FUZZ_CHECK(memcmp(lt_dataset_u8(&ds, i), data + i * LT_CIFAR_RECORD + 1,
                              LT_CIFAR_D) == 0);
        }
        /* A slice chosen from the data itself, sometimes out of range on purpose. */
        size_t start = data[1] % (ds.n + 2), count = data[2] % (ds.n + 2);
        lt_dataset part;
        lt_status sst = lt_dataset_slice(&ds, start, count, &part, &err);
        FUZZ_CHECK((sst == LT_OK) == (start <= ds.n && count <= ds.n - start));
        if (sst == LT_OK && count > 0) {
            FUZZ_CHECK(memcmp(part.labels, ds.labels + start, count * sizeof *part.labels) == 0);
        }
        lt_dataset_free(&part);
    } else {
        FUZZ_CHECK(err.msg[0] != '\0' && ds.n == 0 && ds.x == NULL);
    }
    lt_dataset_free(&ds);
    cifar_check_names();
    return 0;
}
