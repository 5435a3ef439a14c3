/* Helpers shared by the C sources of the card core; not part of the public API. */
#ifndef CETAK_INTERNAL_H
#define CETAK_INTERNAL_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cetak_core.h"

/* Output lines computed together: 8 lines x 5 planes x 648 dots stay inside L1 while the
 * strided reads of the landscape canvas reuse each cache line 8 times. */
#define CETAK_TILE 8
#define CETAK_TILE_PLANE (CETAK_TILE * CETAK_EVOLIS_W)
#define CETAK_TILE_BYTES (5 * CETAK_TILE_PLANE)

int cetak__fail(cetak_error *err, int code, size_t offset, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

typedef struct {
    uint8_t lut[3][256]; /* canvas byte (B, G, R) -> Y, M, C dot value */
    int bits;
} cetak_luts;

int cetak__check_side(const cetak_side *side, const char *which, cetak_error *err);
int cetak__make_luts(const cetak_job_opts *opts, cetak_luts *luts, cetak_error *err);
/* Fills tile planes (y, m, c, k, o; each CETAK_TILE lines x 648 dots) for output lines
 * x0 .. x0 + n - 1 (Evolis orientation: line = canvas column, dot = 647 - canvas row). */
void cetak__tile(const cetak_side *side, const cetak_luts *luts, int x0, int n, uint8_t *tile);

/* 8 bytes of 0/1 (or any value: bit `bit` is taken) -> one byte, first byte in the MSB. */
static inline uint8_t cetak__pack8(const uint8_t *p, int bit) {
    /* assembled byte by byte so the result does not depend on endianness; compilers turn
     * this into one load on little-endian machines */
    uint64_t v = (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
                 (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 |
                 (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
    v = (v >> bit) & 0x0101010101010101ULL;
    return (uint8_t)((v * 0x8040201008040201ULL) >> 56);
}

/* Decimal text of v into buf (no terminator); returns the number of characters. */
static inline size_t cetak__utoa(char *buf, size_t v) {
    char tmp[24];
    size_t n = 0, i;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v && n < sizeof tmp);
    for (i = 0; i < n; i++) buf[i] = tmp[n - 1 - i];
    return n;
}

static inline int cetak__bits_for_levels(int levels) {
    switch (levels) {
    case 2: return 1;
    case 32: return 5;
    case 64: return 6;
    case 128: return 7;
    case 256: return 8;
    default: return 0;
    }
}

#endif
