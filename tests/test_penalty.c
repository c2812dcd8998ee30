/* test_penalty.c — the lecture's regularization example and each penalty's gradient
 * worked out by hand. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include "lintrain/penalty.h"

/* Lecture: x = [1,1,1,1], w1 = [1,0,0,0], w2 = [0.25]*4 give the same score w·x = 1;
 * L2 prefers w2 (R = 0.25 against 1), L1 cannot tell them apart (both 1). */
static void test_lecture_w1_w2(void **state)
{
    (void)state;
    const float w1[4] = {1, 0, 0, 0}, w2[4] = {0.25f, 0.25f, 0.25f, 0.25f};
    const lt_penalty *l2 = lt_penalty_find("l2"), *l1 = lt_penalty_find("l1");
    const lt_penalty *en = lt_penalty_find("elastic_net");
    assert_near(l2->value(w1, 4, 0), 1.0, 0);
    assert_near(l2->value(w2, 4, 0), 0.25, 0);
    assert_near(l1->value(w1, 4, 0), 1.0, 0);
    assert_near(l1->value(w2, 4, 0), 1.0, 0);
    /* Elastic net, beta 0.5: 0.5·1 + 1 = 1.5 and 0.5·0.25 + 1 = 1.125. */
    assert_near(en->value(w1, 4, 0.5), 1.5, 0);
    assert_near(en->value(w2, 4, 0.5), 1.125, 0);
    assert_near(lt_penalty_find("none")->value(w1, 4, 0.5), 0.0, 0);
}

static void test_gradients_by_hand(void **state)
{
    (void)state;
    const float w[3] = {2.0f, 0.0f, -0.5f};
    float g[3] = {1.0f, 1.0f, 1.0f}; /* add_grad adds to what is there */
    lt_penalty_find("l2")->add_grad(w, 3, 0.5, 0, g); /* 2·λ·w = w */
    assert_float_equal(g[0], 3.0f, 0);
    assert_float_equal(g[1], 1.0f, 0);
    assert_float_equal(g[2], 0.5f, 0);
    float g1[3] = {0, 0, 0};
    lt_penalty_find("l1")->add_grad(w, 3, 0.25, 0, g1); /* λ·sign(w), sign(0) = 0 */
    assert_float_equal(g1[0], 0.25f, 0);
    assert_float_equal(g1[1], 0.0f, 0);
    assert_float_equal(g1[2], -0.25f, 0);
    float ge[3] = {0, 0, 0};
    lt_penalty_find("elastic_net")->add_grad(w, 3, 1.0, 0.5, ge); /* λ(2βw + sign w) */
    assert_float_equal(ge[0], 3.0f, 0);
    assert_float_equal(ge[1], 0.0f, 0);
    assert_float_equal(ge[2], -1.5f, 0);
    float gn[3] = {7, 7, 7};
    lt_penalty_find("none")->add_grad(w, 3, 1.0, 0.5, gn);
    assert_float_equal(gn[0], 7.0f, 0);
}

static void test_table(void **state)
{
    (void)state;
    assert_null(lt_penalty_find("l3"));
    size_t n = 0;
    while (lt_penalty_name_at(n)) {
        assert_non_null(lt_penalty_find(lt_penalty_name_at(n)));
        n++;
    }
    assert_int_equal(n, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lecture_w1_w2),
        cmocka_unit_test(test_gradients_by_hand),
        cmocka_unit_test(test_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
