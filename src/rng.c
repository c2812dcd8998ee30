/* rng.c — PCG32 XSH-RR 64/32, with the reference implementation's constants. */
#include "lintrain/rng.h"

#include <math.h>

#define PCG_MULT 6364136223846793005ULL

void lt_rng_seed(lt_rng *r, uint64_t seed, uint64_t stream)
{
    r->state = 0;
    r->inc = (stream << 1u) | 1u;
    lt_rng_u32(r);
    r->state += seed;
    lt_rng_u32(r);
}

uint32_t lt_rng_u32(lt_rng *r)
{
    uint64_t old = r->state;
    r->state = old * PCG_MULT + r->inc;
    uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
    uint32_t rot = (uint32_t)(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((-rot) & 31u));
}

uint32_t lt_rng_below(lt_rng *r, uint32_t bound)
{
    /* Reject the low values that would make some residues more likely. */
    uint32_t threshold = (uint32_t)(-bound) % bound;
    for (;;) {
        uint32_t x = lt_rng_u32(r);
        if (x >= threshold) {
            return x % bound;
        }
    }
}

double lt_rng_uniform(lt_rng *r)
{
    uint64_t hi = lt_rng_u32(r) >> 5, lo = lt_rng_u32(r) >> 6; /* 27 + 26 bits */
    return ((double)hi * 67108864.0 + (double)lo) / 9007199254740992.0;
}

double lt_rng_normal(lt_rng *r)
{
    double u1 = 1.0 - lt_rng_uniform(r); /* (0, 1]: log is finite */
    double u2 = lt_rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * 3.14159265358979323846 * u2);
}

void lt_rng_shuffle(lt_rng *r, size_t *idx, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = lt_rng_below(r, (uint32_t)i);
        size_t tmp = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = tmp;
    }
}
