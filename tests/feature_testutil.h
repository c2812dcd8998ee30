/* feature_testutil.h — what the data.features tests (test_featpipe.c, test_augment.c,
 * test_feature_runs.c) share: a small k-means run of the sample through the binary, and
 * the splits of a config through its features. Include after cmocka.h. */
#ifndef LINTRAIN_FEATURE_TESTUTIL_H
#define LINTRAIN_FEATURE_TESTUTIL_H

#include "testutil.h"

#include "lintrain/config.h"
#include "lintrain/featpipe.h"

/* A small k-means + hue run of the sample through the binary: tu_lintrain's args. */
#define TU_KMEANS_RUN_ARGS                                                                \
    "--config configs/quickstart.json --set train.epochs=3 --set optimizer.lr=1e-3 "        \
    "--set regularization.lambda=1e-3 --set data.preprocess=standardize "                  \
    "--set 'data.features=[{\"name\":\"kmeans\",\"centroids\":8,\"patches\":3000,"        \
    "\"iterations\":3},{\"name\":\"hue_histogram\",\"bins\":4}]'"

/* The splits of the config that the n --set strings sets make, through its
 * data.features, into *p and *s (the caller frees both); fails the test on an error. */
static inline void tu_feature_splits(const char *const *sets, size_t n, lt_featpipe *p,
                                     lt_splits *s)
{
    lt_config cfg;
    lt_error err = {{0}};
    if (lt_config_load(&cfg, NULL, sets, n, &err) != LT_OK) {
        fail_msg("config: %s", err.msg);
    }
    if (lt_featpipe_splits(&cfg, NULL, p, s, NULL, &err) != LT_OK) {
        fail_msg("%s", err.msg);
    }
    lt_config_free(&cfg);
}

#endif
