/* Helpers shared by the C sources of the card core; not part of the public API. */
#ifndef CETAK_INTERNAL_H
#define CETAK_INTERNAL_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cetak_core.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define CETAK_PLANE ((size_t)CETAK_PANEL_LINES * CETAK_EVOLIS_W)

int cetak__fail(cetak_error *err, int code, size_t offset, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* printf-style text appended at buf + *len, the whole of it or nothing: CETAK_OK with *len
 * advanced, or CETAK_E_LIMIT (and *len unchanged) when it would not fit in cap bytes together
 * with the terminating NUL. Callers building text piece by piece use it so that a length can
 * never run past cap (the unchecked `h += snprintf(buf + h, cap - h, ...)` wraps `cap - h`). */
int cetak__appendf(char *buf, size_t cap, size_t *len, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* The Magicard job header text (",NOC1,REJOFF,...,SZK85344") of one side into head[0, cap):
 * CETAK_OK with *len its length, or CETAK_E_LIMIT when it would be longer than cap - 1.
 * eight: 8-bit colour planes (X-GP-8). */
#define CETAK_MAGICARD_HEADER_MAX 512
int cetak__magicard_header(char *head, size_t cap, size_t *len, int panels, int page, int duplex,
                           int back_panels, int eight, cetak_error *err);

typedef struct {
    uint8_t lut[3][256]; /* canvas byte (B, G, R) -> Y, M, C dot value */
    int bits;
} cetak_luts;

int cetak__check_side(const cetak_side *side, const char *which, cetak_error *err);
int cetak__make_luts(const cetak_job_opts *opts, cetak_luts *luts, cetak_error *err);
/* The 5 panels (y, m, c, k, o) of one side (work: CETAK_SIDE_WORK bytes of scratch), each CETAK_PLANE bytes, into planes
 * (Evolis orientation: line = canvas column, dot = 647 - canvas row). */
#define CETAK_GROUP_ROWS 64 /* canvas rows transposed together */
#define CETAK_SIDE_WORK ((size_t)5 * CETAK_GROUP_ROWS * CETAK_CARD_W)
void cetak__side_planes(const cetak_side *side, const cetak_luts *luts, int scalar_only,
                        uint8_t *planes, uint8_t *work);

/* 1 when the AVX-512 VBMI paths may run (CPU has them, caller did not ask for scalar). */
int cetak__use_simd(int scalar_only);
/* 1 when the Evolis colour compressor's AVX-512 VBMI2 path may run (same terms). */
int cetak__colour_simd(int scalar_only);
/* Bits 0 .. nbits-1 of a 648-dot line into nbits rows of 81 bytes, row b at out + b * stride,
 * first dot in the MSB. */
void cetak__pack_line(const uint8_t *d, int nbits, uint8_t *out, size_t stride, int simd);

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

/* bit order of a byte reversed: movemask collects the first dot in the LSB, streams want it in
 * the MSB */
static const uint8_t CETAK_REV8[256] = {
    0x00, 0x80, 0x40, 0xC0, 0x20, 0xA0, 0x60, 0xE0, 0x10, 0x90, 0x50, 0xD0, 0x30, 0xB0, 0x70, 0xF0,
    0x08, 0x88, 0x48, 0xC8, 0x28, 0xA8, 0x68, 0xE8, 0x18, 0x98, 0x58, 0xD8, 0x38, 0xB8, 0x78, 0xF8,
    0x04, 0x84, 0x44, 0xC4, 0x24, 0xA4, 0x64, 0xE4, 0x14, 0x94, 0x54, 0xD4, 0x34, 0xB4, 0x74, 0xF4,
    0x0C, 0x8C, 0x4C, 0xCC, 0x2C, 0xAC, 0x6C, 0xEC, 0x1C, 0x9C, 0x5C, 0xDC, 0x3C, 0xBC, 0x7C, 0xFC,
    0x02, 0x82, 0x42, 0xC2, 0x22, 0xA2, 0x62, 0xE2, 0x12, 0x92, 0x52, 0xD2, 0x32, 0xB2, 0x72, 0xF2,
    0x0A, 0x8A, 0x4A, 0xCA, 0x2A, 0xAA, 0x6A, 0xEA, 0x1A, 0x9A, 0x5A, 0xDA, 0x3A, 0xBA, 0x7A, 0xFA,
    0x06, 0x86, 0x46, 0xC6, 0x26, 0xA6, 0x66, 0xE6, 0x16, 0x96, 0x56, 0xD6, 0x36, 0xB6, 0x76, 0xF6,
    0x0E, 0x8E, 0x4E, 0xCE, 0x2E, 0xAE, 0x6E, 0xEE, 0x1E, 0x9E, 0x5E, 0xDE, 0x3E, 0xBE, 0x7E, 0xFE,
    0x01, 0x81, 0x41, 0xC1, 0x21, 0xA1, 0x61, 0xE1, 0x11, 0x91, 0x51, 0xD1, 0x31, 0xB1, 0x71, 0xF1,
    0x09, 0x89, 0x49, 0xC9, 0x29, 0xA9, 0x69, 0xE9, 0x19, 0x99, 0x59, 0xD9, 0x39, 0xB9, 0x79, 0xF9,
    0x05, 0x85, 0x45, 0xC5, 0x25, 0xA5, 0x65, 0xE5, 0x15, 0x95, 0x55, 0xD5, 0x35, 0xB5, 0x75, 0xF5,
    0x0D, 0x8D, 0x4D, 0xCD, 0x2D, 0xAD, 0x6D, 0xED, 0x1D, 0x9D, 0x5D, 0xDD, 0x3D, 0xBD, 0x7D, 0xFD,
    0x03, 0x83, 0x43, 0xC3, 0x23, 0xA3, 0x63, 0xE3, 0x13, 0x93, 0x53, 0xD3, 0x33, 0xB3, 0x73, 0xF3,
    0x0B, 0x8B, 0x4B, 0xCB, 0x2B, 0xAB, 0x6B, 0xEB, 0x1B, 0x9B, 0x5B, 0xDB, 0x3B, 0xBB, 0x7B, 0xFB,
    0x07, 0x87, 0x47, 0xC7, 0x27, 0xA7, 0x67, 0xE7, 0x17, 0x97, 0x57, 0xD7, 0x37, 0xB7, 0x77, 0xF7,
    0x0F, 0x8F, 0x4F, 0xCF, 0x2F, 0xAF, 0x6F, 0xEF, 0x1F, 0x9F, 0x5F, 0xDF, 0x3F, 0xBF, 0x7F, 0xFF};

/* Bit `bit` of n dots (n a multiple of 8) into n / 8 bytes, first dot in the MSB. */
static inline void cetak__pack_bits(const uint8_t *d, size_t n, int bit, uint8_t *out) {
    size_t j = 0;
#if defined(__SSE2__)
    const __m128i shift = _mm_cvtsi32_si128(7 - bit);
    for (; j + 16 <= n; j += 16) {
        /* a 16-bit shift moves bit `bit` of every byte to its bit 7 (bits carried across the
         * byte boundary land below bit 15, so they never reach a sign bit) */
        const __m128i v = _mm_sll_epi16(_mm_loadu_si128((const __m128i *)(d + j)), shift);
        const int m = _mm_movemask_epi8(v);
        out[j / 8] = CETAK_REV8[m & 0xFF];
        out[j / 8 + 1] = CETAK_REV8[(m >> 8) & 0xFF];
    }
#endif
    for (; j < n; j += 8) out[j / 8] = cetak__pack8(d + j, bit);
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
