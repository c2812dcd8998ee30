/* featcache_sum.c — the feature cache's blob checksum: a Fletcher-style pair of sums
 * over 64-bit words in four interleaved lanes.
 *
 * A cache entry's blobs are up to gigabytes (60,000 x 6,400 float32 is 1.5 GB) and are
 * checked on every open. SHA-256 in portable C runs at a few hundred MB/s, seconds per
 * entry; these sums run at memory speed. They detect corruption (any flipped byte
 * changes the first sum; moved words change the second), not tampering: the entry's
 * identity is the SHA-256 key in its manifest, which is what guards against a foreign
 * entry. */
#include "lintrain/featcache.h"

#include <stdio.h>
#include <string.h>

void lt_featcache_sum_init(lt_featcache_sum *s)
{
    memset(s, 0, sizeof *s);
}

/* Adds n bytes. Every call but the last must pass a multiple of 32 bytes: the lanes
 * are filled word by word, and a partial last block is zero-padded. */
void lt_featcache_sum_update(lt_featcache_sum *s, const void *data, size_t n)
{
    const unsigned char *p = data;
    uint64_t a0 = s->a[0], a1 = s->a[1], a2 = s->a[2], a3 = s->a[3];
    uint64_t b0 = s->b[0], b1 = s->b[1], b2 = s->b[2], b3 = s->b[3];
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        uint64_t w[4];
        memcpy(w, p + i, sizeof w);
        a0 += w[0], a1 += w[1], a2 += w[2], a3 += w[3];
        b0 += a0, b1 += a1, b2 += a2, b3 += a3;
    }
    if (i < n) {
        uint64_t w[4] = {0, 0, 0, 0};
        memcpy(w, p + i, n - i);
        a0 += w[0], a1 += w[1], a2 += w[2], a3 += w[3];
        b0 += a0, b1 += a1, b2 += a2, b3 += a3;
    }
    s->a[0] = a0, s->a[1] = a1, s->a[2] = a2, s->a[3] = a3;
    s->b[0] = b0, s->b[1] = b1, s->b[2] = b2, s->b[3] = b3;
    s->bytes += n;
}

/* The sums and the length as 32 hex digits (with the NUL, LT_FEATCACHE_SUM_HEX). */
void lt_featcache_sum_hex(const lt_featcache_sum *s, char hex[LT_FEATCACHE_SUM_HEX])
{
    /* Lanes are combined with distinct odd multipliers, so that swapping two lanes'
     * words changes the result. */
    uint64_t a = s->bytes, b = s->bytes * 0x9E3779B97F4A7C15ull;
    static const uint64_t MUL[4] = {1, 3, 5, 7};
    for (int i = 0; i < 4; i++) {
        a += s->a[i] * MUL[i];
        b += s->b[i] * MUL[i];
    }
    snprintf(hex, LT_FEATCACHE_SUM_HEX, "%016llx%016llx", (unsigned long long)a,
             (unsigned long long)b);
}
