/* test_corpus.c — bad input, refused clearly: ./lintrain against
 *   - every broken config of tests/corpus/configs/, as listed in its EXPECTED file
 *     (file, exit status, text the message must contain), and
 *   - broken CIFAR-10 data sets that this test writes itself (small files: nothing big
 *     is committed), each with its expected status and message, and
 *   - every broken PNG of tests/corpus/png/ given to `lintrain predict`, as listed in
 *     its EXPECTED file.
 * Every case must exit with its status and one error line, never crash (a signal), and
 * leave no run folder behind. A control case of the same generated data proves the
 * failures come from the damage and not from the generator. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "testutil.h"

#define CORPUS "tests/corpus/configs"
#define RECORD 3073


/* One error: "lintrain: <message>\n", or for a JSON syntax error that line, the line of
 * the file and a caret under the column ("    L | text\n      |   ^\n"). */
static void assert_one_error(const char *out)
{
    assert_int_equal(strncmp(out, "lintrain: ", 10), 0);
    const char *nl = strchr(out, '\n');
    assert_non_null(nl);
    if (strstr(out, "invalid JSON") && nl[1] != '\0') {
        assert_int_equal(strncmp(nl + 1, "    ", 4), 0);
        nl = strchr(nl + 1, '\n');
        assert_non_null(nl);
        assert_non_null(strstr(nl + 1, "| "));
        assert_non_null(strchr(nl + 1, '^'));
        nl = strchr(nl + 1, '\n');
        assert_non_null(nl);
    }
    assert_ptr_equal(nl, out + strlen(out) - 1);
}

/* Runs ./lintrain with args; fails the test unless it exits with status, its output
 * contains message, and it left no run folder (a finished one for status 0). */
static void check_case(const char *label, const char *args, int status, const char *message)
{
    char out_dir[4096], cmd[8192];
    snprintf(out_dir, sizeof out_dir, "%s/out", tu_tmp);
    snprintf(cmd, sizeof cmd, "./lintrain --quiet --out '%s' %s", out_dir, args);
    char *out = NULL;
    int rc = tu_run(cmd, &out);
    struct stat st;
    /* A failure leaves no folder; the control case leaves a finished one. */
    int left = stat(out_dir, &st) == 0;
    if (status == 0) {
        char *summary = tu_join(out_dir, "summary.json");
        left = stat(summary, &st) != 0;
        free(summary);
    }
    if (rc != status || !strstr(out, message) || left) {
        fail_msg("%s: exit %d (expected %d), run folder %s, output:\n%s\nexpected to contain: %s",
                 label, rc, status, left ? "wrong" : "right", out, message);
    }
    if (status != 0) {
        assert_one_error(out);
    }
    free(out);
    tu_rmtree(out_dir);
}

/* `lintrain check` on the same config: status 2 for every refused config (the config
 * or its data is not usable), the same message, nothing on stdout, no run folder. */
static void check_subcommand_case(const char *label, const char *args, int status,
                                  const char *message)
{
    char out_dir[4096], cmd[16384];
    snprintf(out_dir, sizeof out_dir, "%s/out", tu_tmp);
    snprintf(cmd, sizeof cmd, "./lintrain check --out '%s' %s 2>&1 >'%s/stdout'", out_dir, args,
             tu_tmp);
    char *err = NULL;
    int rc = tu_run(cmd, &err);
    char *so = tu_join(tu_tmp, "stdout");
    char *printed = tu_read_file(so, NULL);
    struct stat st;
    int expected = status == 0 ? 0 : 2;
    if (rc != expected || !strstr(err, message) || !printed ||
        (status != 0) != (printed[0] == '\0') || stat(out_dir, &st) == 0) {
        fail_msg("check %s: exit %d (expected %d), stderr:\n%s\nstdout:\n%.200s\nexpected to "
                 "contain: %s", label, rc, expected, err, printed ? printed : "", message);
    }
    if (status != 0) {
        assert_one_error(err);
    }
    free(printed);
    free(so);
    free(err);
}

/* Calls fn on each line "file<TAB>status<TAB>message" of an EXPECTED file (lines
 * starting with # are comments); returns how many. */
static int each_expected(const char *path, void (*fn)(const char *, int, const char *))
{
    char *text = tu_read_file(path, NULL);
    assert_non_null(text);
    int cases = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#') {
            continue;
        }
        char *tab1 = strchr(line, '\t');
        char *tab2 = tab1 ? strchr(tab1 + 1, '\t') : NULL;
        if (!tab2) {
            fail_msg("%s: malformed line \"%s\"", path, line);
        }
        *tab1 = *tab2 = '\0';
        fn(line, atoi(tab1 + 1), tab2 + 1);
        cases++;
    }
    free(text);
    return cases;
}

static void check_config_case(const char *file, int status, const char *message)
{
    char args[4096];
    snprintf(args, sizeof args, "--config '" CORPUS "/%s'", file);
    check_case(file, args, status, message);
    check_subcommand_case(file, args, status, message);
}

static void test_config_corpus(void **state)
{
    (void)state;
    int cases = each_expected(CORPUS "/EXPECTED", check_config_case);
    assert_true(cases >= 25);
    printf("%d broken configs refused as expected\n", cases);
}

/* ---- data sets ------------------------------------------------------------------- */

enum { N_TRAIN_FILE = 30, N_TEST = 20 };

static const char *const TRAIN_FILES[] = {"data_batch_1.bin", "data_batch_2.bin",
                                          "data_batch_3.bin", "data_batch_4.bin",
                                          "data_batch_5.bin"};

/* n records with labels i % 10 and a pixel pattern, into dir/name. */
static void write_batch(const char *dir, const char *name, int n)
{
    unsigned char *buf = malloc((size_t)n * RECORD);
    assert_non_null(buf);
    for (int i = 0; i < n; i++) {
        buf[(size_t)i * RECORD] = (unsigned char)(i % 10);
        for (int j = 1; j < RECORD; j++) {
            buf[(size_t)i * RECORD + j] = (unsigned char)((i * 31 + j * 7) & 0xff);
        }
    }
    char *p = tu_join(dir, name);
    tu_write_file(p, buf, (size_t)n * RECORD);
    free(p);
    free(buf);
}

/* A valid data folder tu_tmp/name: five training files, a test file, a class file. */
static char *make_data(const char *name)
{
    char *dir = tu_join(tu_tmp, name);
    assert_int_equal(mkdir(dir, 0777), 0);
    for (int k = 0; k < 5; k++) {
        write_batch(dir, TRAIN_FILES[k], N_TRAIN_FILE);
    }
    write_batch(dir, "test_batch.bin", N_TEST);
    char *meta = tu_join(dir, "batches.meta.txt");
    const char names[] = "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n";
    tu_write_file(meta, names, strlen(names));
    free(meta);
    return dir;
}

static void set_byte(const char *dir, const char *name, long offset, unsigned char value)
{
    char *p = tu_join(dir, name);
    FILE *f = fopen(p, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, offset, SEEK_SET), 0);
    assert_int_equal(fputc(value, f), value);
    assert_int_equal(fclose(f), 0);
    free(p);
}

static void resize(const char *dir, const char *name, long size)
{
    char *p = tu_join(dir, name);
    assert_int_equal(truncate(p, size), 0);
    free(p);
}

static void write_text(const char *dir, const char *name, const char *text, size_t n)
{
    char *p = tu_join(dir, name);
    tu_write_file(p, text, n);
    free(p);
}

/* What each case does to a fresh valid folder. UNREADABLE is a SHELL case that root
 * skips (root reads a file of mode 000; the symlink loop stands in for it). */
typedef enum { NONE, CUT, GROW, LABEL, META, SHELL, UNREADABLE } damage;

typedef struct {
    const char *label;
    damage what;
    const char *file;    /* CUT, GROW, LABEL, META: the file damaged */
    long arg;            /* CUT, GROW: bytes; LABEL: the record; META: the text's length */
    const char *text;    /* LABEL: the label byte as text ("10"); META: the class file;
                            SHELL: a command run in the folder */
    const char *sets;    /* extra --set arguments */
    int status;
    const char *message;
} data_case;

static const char NINE[] = "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\n";
static const char LONG_NAME[] =
    "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\n"
    "a_class_name_far_longer_than_the_sixty_three_bytes_a_name_may_have_in_lintrain\n";
static const char WITH_NUL[] =
    "airplane\nauto\0mobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n";

static const data_case DATA_CASES[] = {
    {"valid data (control)", NONE, NULL, 0, NULL, "", 0, "ok  train_acc"},
    {"empty training file", SHELL, NULL, 0, ": > data_batch_3.bin", "", 1,
     "data_batch_3.bin: no records (empty file)"},
    {"truncated record", CUT, "data_batch_2.bin", 100, NULL, "", 1,
     "data_batch_2.bin: size 92090 bytes is not a multiple of the 3073-byte record "
     "(29 whole records + 2973 bytes)"},
    {"one byte too many", GROW, "data_batch_5.bin", 1, NULL, "", 1,
     "data_batch_5.bin: size 92191 bytes is not a multiple of the 3073-byte record"},
    {"label 10", LABEL, "data_batch_1.bin", 7, "10", "", 1,
     "data_batch_1.bin: record 7 (0-based, byte offset 21511): label 10 is out of range 0..9"},
    {"label 255", LABEL, "data_batch_4.bin", 29, "255", "", 1,
     "data_batch_4.bin: record 29 (0-based, byte offset 89117): label 255 is out of range"},
    {"label 10 in the test file", LABEL, "test_batch.bin", 0, "10", "", 1,
     "test_batch.bin: record 0 (0-based, byte offset 0): label 10"},
    {"truncated test file", CUT, "test_batch.bin", 3000, NULL, "", 1,
     "test_batch.bin: size 58460 bytes is not a multiple"},
    {"empty test file", SHELL, NULL, 0, ": > test_batch.bin", "", 1, "test_batch.bin: no records"},
    {"missing training file", SHELL, NULL, 0, "rm data_batch_4.bin", "", 1,
     "data_batch_4.bin: cannot open: No such file or directory"},
    {"missing test file", SHELL, NULL, 0, "rm test_batch.bin", "", 1,
     "test_batch.bin: cannot open: No such file or directory"},
    {"unreadable file (symlink loop)", SHELL, NULL, 0,
     "rm data_batch_2.bin && ln -s loop data_batch_2.bin && ln -s data_batch_2.bin loop", "", 1,
     "data_batch_2.bin: cannot open: Too many levels of symbolic links"},
    {"unreadable file (mode 000)", UNREADABLE, NULL, 0, "chmod 000 data_batch_1.bin", "", 1,
     "data_batch_1.bin: cannot open: Permission denied"},
    {"dangling symlink", SHELL, NULL, 0, "rm data_batch_5.bin && ln -s nowhere data_batch_5.bin",
     "", 1,
     "data_batch_5.bin: cannot open: No such file or directory"},
    {"a folder given as a file", SHELL, NULL, 0, "rm data_batch_1.bin && mkdir data_batch_1.bin",
     "", 1,
     "data_batch_1.bin: is a directory, not a CIFAR-10 batch file"},
    {"a FIFO given as a file", SHELL, NULL, 0, "rm test_batch.bin && mkfifo test_batch.bin", "", 1,
     "test_batch.bin: not a regular file"},
    {"class file with 9 names", META, "batches.meta.txt", sizeof NINE - 1, NINE, "", 1,
     "batches.meta.txt: found 9 class names, expected 10"},
    {"class file with a name too long", META, "batches.meta.txt", sizeof LONG_NAME - 1, LONG_NAME,
     "", 1, "batches.meta.txt: line 10: class name of 78 bytes is longer than the limit of 63"},
    {"class file with a NUL byte", META, "batches.meta.txt", sizeof WITH_NUL - 1, WITH_NUL, "", 1,
     "batches.meta.txt: line 2: contains a NUL byte"},
    {"class file that is a folder", SHELL, NULL, 0,
     "rm batches.meta.txt && mkdir batches.meta.txt", "", 1,
     "batches.meta.txt: read error"},
    {"validation as large as the data", NONE, NULL, 0, NULL, "--set data.val_size=150", 2,
     "data.val_size: 150 leaves no training records (the training files hold 150)"},
    {"batch larger than the data", NONE, NULL, 0, NULL, "--set train.batch_size=141", 2,
     "train.batch_size: 141 is larger than the 140 training records"},
    {"limit larger than the data", NONE, NULL, 0, NULL, "--set data.limit_train=141", 2,
     "data.limit_train: 141 is more than the 140 training records"},
};

static void damage_folder(const char *dir, const data_case *c)
{
    char cmd[8192];
    switch (c->what) {
    case NONE:
        break;
    case CUT:
        resize(dir, c->file, (long)(c->file[0] == 't' ? N_TEST : N_TRAIN_FILE) * RECORD - c->arg);
        break;
    case GROW:
        resize(dir, c->file, (long)N_TRAIN_FILE * RECORD + c->arg);
        break;
    case LABEL:
        set_byte(dir, c->file, c->arg * RECORD, (unsigned char)atoi(c->text));
        break;
    case META:
        write_text(dir, c->file, c->text, (size_t)c->arg);
        break;
    case SHELL:
    case UNREADABLE:
        snprintf(cmd, sizeof cmd, "cd '%s' && %s", dir, c->text);
        assert_int_equal(tu_run(cmd, NULL), 0);
        break;
    }
}

static void test_data_corpus(void **state)
{
    (void)state;
    int cases = 0;
    for (size_t i = 0; i < sizeof DATA_CASES / sizeof DATA_CASES[0]; i++) {
        const data_case *c = &DATA_CASES[i];
        if (c->what == UNREADABLE && geteuid() == 0) {
            continue;
        }
        char name[32];
        snprintf(name, sizeof name, "data%zu", i);
        char *dir = make_data(name);
        damage_folder(dir, c);
        /* 150 records: 10 for validation, batches of 20, one epoch. */
        char args[8192];
        snprintf(args, sizeof args,
                 "--config configs/quickstart.json --set 'data.dir=\"%s\"' --set data.val_size=10 "
                 "--set train.batch_size=20 --set train.epochs=1 %s",
                 dir, c->sets);
        check_case(c->label, args, c->status, c->message);
        tu_rmtree(dir);
        free(dir);
        cases += c->status != 0;
    }
    assert_true(cases >= 15);
    printf("%d broken data sets refused as expected\n", cases);
}

/* ---- PNG files for predict -------------------------------------------------------- */

#define PNG_CORPUS "tests/corpus/png"

/* predict --json on one file of the PNG corpus: status, one line naming the file and
 * the message, nothing on stdout. */
static void check_png_case(const char *file, int status, const char *message)
{
    char *out = NULL;
    int rc = tu_runf(&out, "./lintrain predict --run '%s/run' --json '" PNG_CORPUS "/%s' "
                     "2>&1 >'%s/stdout'", tu_tmp, file, tu_tmp);
    char *so = tu_join(tu_tmp, "stdout");
    char *printed = tu_read_file(so, NULL);
    if (rc != status || !strstr(out, message) || !printed || printed[0] != '\0') {
        fail_msg("%s: exit %d (expected %d), stderr:\n%s\nexpected to contain: %s", file, rc,
                 status, out, message);
    }
    assert_one_error(out);
    free(printed);
    free(so);
    free(out);
}

static void test_png_corpus(void **state)
{
    (void)state;
    assert_int_equal(tu_runf(NULL, "./lintrain --config configs/quickstart.json --quiet "
                             "--set train.epochs=1 --out '%s/run'", tu_tmp), 0);
    /* The control: a valid PNG predicts, exit 0. */
    assert_int_equal(tu_runf(NULL, "./lintrain predict --run '%s/run' "
                             "tests/fuzz/seeds/png/rgb8_32x32.png", tu_tmp), 0);
    int cases = each_expected(PNG_CORPUS "/EXPECTED", check_png_case);
    assert_true(cases >= 12);
    printf("%d broken PNG files refused as expected\n", cases);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_corpus),
        cmocka_unit_test(test_data_corpus),
        cmocka_unit_test(test_png_corpus),
    };
    return cmocka_run_group_tests(tests, tu_setup_tmp, tu_teardown_tmp);
}
