/* fuzz_cifar100.c — libFuzzer harness for the CIFAR-100 layout of the CIFAR loader
 * (cifar.c) and for class-name files (names.c).
 *
 * The input is written as train.bin and loaded with fine and with coarse labels.
 * Properties: a load succeeds exactly when the size is a non-zero multiple of 3074 and
 * every fine label byte (byte 1 of each record) is < 100, or every coarse one (byte 0)
 * < 20; it then gives back every label and pixel. */
#include "fuzz_util.h"

#include "lintrain/cifar.h"

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif

int FUZZ_ENTRY(const uint8_t *data, size_t size);

static int c100_valid(const uint8_t *data, size_t size, const lt_cifar_layout *lay)
{
    if (size == 0 || size % 3074 != 0) {
        return 0;
    }
    for (size_t i = 0; i < size; i += 3074) {
        if (data[i + lay->label_at] >= lay->classes) {
            return 0;
        }
    }
    return 1;
}

static void c100_check(const uint8_t *data, size_t size, const lt_cifar_layout *lay)
{
    const char *files[1] = {"train.bin"};
    lt_dataset ds;
    lt_error err = {{0}};
    lt_status st = lt_cifar_load_as(lay, fuzz_scratch(), files, 1, &ds, &err);
    FUZZ_CHECK((st == LT_OK) == c100_valid(data, size, lay));
    if (st != LT_OK) {
        FUZZ_CHECK(err.msg[0] != '\0' && ds.x == NULL);
        return;
    }
    FUZZ_CHECK(ds.n == size / 3074 && ds.D == LT_CIFAR_D);
    for (size_t i = 0; i < ds.n; i++) {
        FUZZ_CHECK(ds.labels[i] == data[i * 3074 + lay->label_at]);
        FUZZ_CHECK(memcmp(lt_dataset_u8(&ds, i), data + i * 3074 + 2, LT_CIFAR_D) == 0);
    }
    size_t n = 0;
    FUZZ_CHECK(lt_cifar_count_as(lay, fuzz_scratch(), files, 1, &n, &err) == LT_OK);
    FUZZ_CHECK(n == ds.n);
    lt_dataset_free(&ds);
}

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
    fuzz_write("train.bin", data, size);
    c100_check(data, size, &LT_CIFAR100_FINE);
    c100_check(data, size, &LT_CIFAR100_COARSE);
    return 0;
}
