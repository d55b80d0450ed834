/*
 * test_rng.c: the seeded generator behind every random choice.
 *
 * The generator is checked against the published test vectors of
 * xoshiro256** (from the state {1, 2, 3, 4}) and splitmix64 (seed 0), the
 * draws built on it against their distributions with tolerances of about
 * five standard errors, so a correct implementation essentially never fails.
 */
#include <stdint.h>

#include "core/rng.h"
#include "harness.h"

TEST(xoshiro256_starstar_matches_the_reference_vector)
{
    static const uint64_t expected[] = {
        11520u,
        0u,
        1509978240u,
        1215971899390074240u,
        1216172134540287360u,
        607988272756665600u,
        16172922978634559625u,
        8476171486693032832u,
        10595114339597558777u,
        2904607092377533576u,
    };
    lathe__rng rng = {{1, 2, 3, 4}};
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
        CHECK(lathe__rng_next(&rng) == expected[i]);
}

TEST(seeding_expands_the_seed_with_splitmix64)
{
    lathe__rng rng;
    lathe__rng_seed(&rng, 0);
    CHECK(rng.state[0] == UINT64_C(0xE220A8397B1DCDAF));
    CHECK(rng.state[1] == UINT64_C(0x6E789E6AA1B965F4));
    CHECK(rng.state[2] == UINT64_C(0x06C45D188009454F));
    CHECK(rng.state[3] == UINT64_C(0xF88BB8A8724C81EC));
}

TEST(the_same_seed_gives_the_same_stream_and_others_differ)
{
    lathe__rng a, b, c;
    lathe__rng_seed(&a, 42);
    lathe__rng_seed(&b, 42);
    lathe__rng_seed(&c, 43);
    int differ = 0;
    for (int i = 0; i < 100; i++) {
        uint64_t x = lathe__rng_next(&a);
        CHECK(x == lathe__rng_next(&b));
        differ += x != lathe__rng_next(&c);
    }
    CHECK(differ > 95);
}

TEST(uniform_doubles_lie_in_the_unit_interval_with_mean_one_half)
{
    lathe__rng rng;
    lathe__rng_seed(&rng, 7);
    double sum = 0;
    const int n = 200000;
    for (int i = 0; i < n; i++) {
        double u = lathe__rng_uniform(&rng);
        CHECK(u >= 0.0 && u < 1.0);
        sum += u;
    }
    /* standard error sqrt(1/12 / n) = 0.00065 */
    CHECK_NEAR(sum / n, 0.5, 0.0035);
}

/* Pearson's chi-squared over `bound` equally likely outcomes. */
static double chi_squared(lathe__rng *rng, uint64_t bound, int n)
{
    int counts[7] = {0};
    for (int i = 0; i < n; i++) {
        uint64_t draw = lathe__rng_below(rng, bound);
        if (draw >= bound)
            return 1e9;
        counts[draw]++;
    }
    double expected = (double)n / (double)bound, statistic = 0;
    for (uint64_t k = 0; k < bound; k++)
        statistic += (counts[k] - expected) * (counts[k] - expected) / expected;
    return statistic;
}

TEST(bounded_integers_are_uniform)
{
    lathe__rng rng;
    lathe__rng_seed(&rng, 11);
    /* 6 degrees of freedom: P(chi2 > 30) < 1e-4 */
    CHECK(chi_squared(&rng, 7, 70000) < 30);
    CHECK(lathe__rng_below(&rng, 1) == 0);
}

/*
 * With bound = 2^63 + 2^62, modulo reduction of 64 random bits would make
 * the lower third of the range twice as likely as the rest. Lemire's
 * rejection keeps each third at 1/3.
 */
TEST(bounded_integers_have_no_modulo_bias)
{
    lathe__rng rng;
    lathe__rng_seed(&rng, 3);
    uint64_t bound = (UINT64_C(1) << 63) + (UINT64_C(1) << 62), third = bound / 3;
    int low = 0;
    const int n = 60000;
    for (int i = 0; i < n; i++)
        low += lathe__rng_below(&rng, bound) < third;
    /* standard error sqrt(2/9 / n) = 0.0019; modulo reduction would give 0.5 */
    CHECK_NEAR((double)low / n, 1.0 / 3.0, 0.01);
}

TEST(normal_draws_have_mean_zero_and_variance_one)
{
    lathe__rng rng;
    lathe__rng_seed(&rng, 5);
    double sum = 0, squares = 0;
    int beyond_two = 0;
    const int n = 200000;
    for (int i = 0; i < n; i++) {
        double z = lathe__rng_normal(&rng);
        CHECK(isfinite(z));
        sum += z;
        squares += z * z;
        beyond_two += fabs(z) > 2;
    }
    CHECK_NEAR(sum / n, 0.0, 0.012);
    CHECK_NEAR(squares / n, 1.0, 0.016);
    /* P(|Z| > 2) = 0.0455 */
    CHECK_NEAR((double)beyond_two / n, 0.0455, 0.0025);
}

TEST(shuffles_are_permutations_and_every_position_is_uniform)
{
    lathe__rng rng;
    lathe__rng_seed(&rng, 9);
    int first_is[5] = {0};
    const int n = 50000;
    for (int i = 0; i < n; i++) {
        size_t items[5] = {0, 1, 2, 3, 4};
        lathe__rng_shuffle(&rng, items, 5);
        int seen = 0;
        for (int k = 0; k < 5; k++)
            seen |= 1 << items[k];
        CHECK(seen == 0x1f);
        first_is[items[0]]++;
    }
    for (int k = 0; k < 5; k++)
        CHECK_NEAR((double)first_is[k] / n, 0.2, 0.01);
}
