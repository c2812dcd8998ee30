/* sha256.h — SHA-256 (FIPS 180-4), for the feature cache's keys and checksums. Small and
 * portable; checked against the standard's test vectors (tests/test_featcache.c). */
#ifndef LINTRAIN_SHA256_H
#define LINTRAIN_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define LT_SHA256_HEX 65 /* 64 hex digits and the NUL */

typedef struct {
    uint32_t h[8];       /* the chaining state */
    uint64_t bytes;      /* message length so far */
    unsigned char buf[64];
    size_t used;         /* bytes waiting in buf */
} lt_sha256;

void lt_sha256_init(lt_sha256 *s);
void lt_sha256_update(lt_sha256 *s, const void *data, size_t n);

/* The digest, in 32 bytes or as 64 lowercase hex digits; s is spent afterwards. */
void lt_sha256_final(lt_sha256 *s, unsigned char digest[32]);
void lt_sha256_final_hex(lt_sha256 *s, char hex[LT_SHA256_HEX]);

/* The hex digest of n bytes in one call. */
void lt_sha256_hex(const void *data, size_t n, char hex[LT_SHA256_HEX]);

#endif
