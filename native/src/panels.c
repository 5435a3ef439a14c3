/* Rendered card (landscape RGB + resin-black and overlay masks) -> Y, M, C, K, O panels. */
#include <stdlib.h>

#include "cetak_internal.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define CETAK_X86 1
#endif

int cetak__check_side(const cetak_side *side, const char *which, cetak_error *err) {
    const size_t px = (size_t)CETAK_CARD_W * CETAK_CARD_H;
    if (!side || !side->rgb || !side->k_mask || !side->o_mask)
        return cetak__fail(err, CETAK_E_ARG, 0, "%s side: missing canvas or mask", which);
    if (side->rgb_len != px * 3)
        return cetak__fail(err, CETAK_E_ARG, 0, "%s side: rgb has %zu bytes, expected %zu", which,
                           side->rgb_len, px * 3);
    if (side->k_len != px || side->o_len != px)
        return cetak__fail(err, CETAK_E_ARG, 0, "%s side: masks must have %zu bytes", which, px);
    return CETAK_OK;
}

int cetak__make_luts(const cetak_job_opts *opts, cetak_luts *luts, cetak_error *err) {
    int ch, v, shift;
    if (!opts) return cetak__fail(err, CETAK_E_ARG, 0, "missing options");
    luts->bits = cetak__bits_for_levels(opts->levels);
    if (luts->bits < 5)
        return cetak__fail(err, CETAK_E_ARG, 0, "levels must be 32, 64, 128 or 256, not %d",
                           opts->levels);
    if (opts->curves && opts->curves_len != 3 * 256)
        return cetak__fail(err, CETAK_E_ARG, 0, "tone curves must be 3 x 256 bytes, not %zu",
                           opts->curves_len);
    shift = 8 - luts->bits;
    /* Y is the ink that absorbs blue, M green, C red: channel index 2, 1, 0 of RGB.  The table
     * is indexed by the canvas byte so the hot loop does one lookup per channel. */
    for (ch = 0; ch < 3; ch++) {
        for (v = 0; v < 256; v++) {
            int ink = 255 - v;
            int curved = opts->curves ? opts->curves[ch * 256 + ink] : ink;
            luts->lut[ch][v] = (uint8_t)(curved >> shift);
        }
    }
    return CETAK_OK;
}


/* ---- step A: one strip of 8 canvas rows, landscape order, into 5 strip planes ---- */
#define STRIP_ROWS 8
#define STRIP_PX (STRIP_ROWS * CETAK_CARD_W) /* 8128 = 127 x 64 */

/* out: 5 planes, pstride bytes apart, each receiving STRIP_PX dots */
static void strip_scalar(const uint8_t *rgb, const uint8_t *km, const uint8_t *om,
                         const cetak_luts *luts, uint8_t *out, size_t pstride) {
    const uint8_t *ly = luts->lut[0], *lm = luts->lut[1], *lc = luts->lut[2];
    uint8_t *y = out, *m = out + pstride, *c = out + 2 * pstride, *k = out + 3 * pstride,
            *o = out + 4 * pstride;
    size_t i;
    for (i = 0; i < STRIP_PX; i++) {
        const uint8_t kk = km[i] != 0, keep = (uint8_t)(kk - 1); /* 0xFF unless resin black */
        y[i] = ly[rgb[3 * i + 2]] & keep;
        m[i] = lm[rgb[3 * i + 1]] & keep;
        c[i] = lc[rgb[3 * i]] & keep;
        k[i] = kk;
        o[i] = om[i] != 0;
    }
}

#ifdef CETAK_X86
/* AVX-512 VBMI: byte permutes do the 256-entry lookups 64 dots at a time and pull the R, G, B
 * bytes out of the interleaved canvas.  Chosen at run time; strip_scalar is the same function. */
typedef struct {
    uint8_t lo[3][64], hi[3][64]; /* index tables: byte 3i+c of 192 from (v0,v1) or from v2 */
} cetak_deint;

static const cetak_deint *deint_tables(void) {
    static const cetak_deint t = {
#define I3(c, i) (uint8_t)((3 * (i) + (c)) & 127)
#define J3(c, i) (uint8_t)((3 * (i) + (c)) >= 128 ? (3 * (i) + (c) - 128) : 0)
#define ROW8(F, c, b) F(c, b), F(c, b + 1), F(c, b + 2), F(c, b + 3), F(c, b + 4), F(c, b + 5), F(c, b + 6), F(c, b + 7)
#define ROW64(F, c) ROW8(F, c, 0), ROW8(F, c, 8), ROW8(F, c, 16), ROW8(F, c, 24), ROW8(F, c, 32), ROW8(F, c, 40), ROW8(F, c, 48), ROW8(F, c, 56)
        {{ROW64(I3, 0)}, {ROW64(I3, 1)}, {ROW64(I3, 2)}},
        {{ROW64(J3, 0)}, {ROW64(J3, 1)}, {ROW64(J3, 2)}},
#undef I3
#undef J3
#undef ROW8
#undef ROW64
    };
    return &t;
}

__attribute__((target("avx512f,avx512bw,avx512vbmi"))) static void
strip_vbmi(const uint8_t *rgb, const uint8_t *km, const uint8_t *om, const cetak_luts *luts,
           uint8_t *out, size_t pstride) {
    const cetak_deint *dt = deint_tables();
    __m512i tab[3][4], ilo[3], ihi[3];
    /* channel c of pixel i is byte 3i+c: from v0/v1 while below 128, else from v2 */
    const __mmask64 from_v2[3] = {0xFFFFFFFFFFFFFFFFULL << 43, 0xFFFFFFFFFFFFFFFFULL << 43,
                                  0xFFFFFFFFFFFFFFFFULL << 42};
    const __m512i one = _mm512_set1_epi8(1);
    size_t i;
    int c, q;
    for (c = 0; c < 3; c++) {
        /* canvas channel c (R, G, B) feeds ink table 2 - c (C, M, Y) */
        for (q = 0; q < 4; q++) tab[c][q] = _mm512_loadu_si512(luts->lut[2 - c] + 64 * q);
        ilo[c] = _mm512_loadu_si512(dt->lo[c]);
        ihi[c] = _mm512_loadu_si512(dt->hi[c]);
    }
    for (i = 0; i < STRIP_PX; i += 64) {
        const __m512i v0 = _mm512_loadu_si512(rgb + 3 * i), v1 = _mm512_loadu_si512(rgb + 3 * i + 64),
                      v2 = _mm512_loadu_si512(rgb + 3 * i + 128);
        const __m512i kv = _mm512_loadu_si512(km + i), ov = _mm512_loadu_si512(om + i);
        const __mmask64 black = _mm512_test_epi8_mask(kv, kv);
        __m512i ch[3];
        for (c = 0; c < 3; c++) {
            __m512i idx = _mm512_permutex2var_epi8(v0, ilo[c], v1);
            idx = _mm512_mask_permutexvar_epi8(idx, from_v2[c], ihi[c], v2);
            {
                const __m512i lo = _mm512_permutex2var_epi8(tab[c][0], idx, tab[c][1]);
                const __m512i hi = _mm512_permutex2var_epi8(tab[c][2], idx, tab[c][3]);
                ch[c] = _mm512_mask_blend_epi8(_mm512_movepi8_mask(idx), lo, hi);
            }
        }
        _mm512_storeu_si512(out + i, _mm512_maskz_mov_epi8(~black, ch[2]));
        _mm512_storeu_si512(out + pstride + i, _mm512_maskz_mov_epi8(~black, ch[1]));
        _mm512_storeu_si512(out + 2 * pstride + i, _mm512_maskz_mov_epi8(~black, ch[0]));
        _mm512_storeu_si512(out + 3 * pstride + i, _mm512_maskz_mov_epi8(black, one));
        _mm512_storeu_si512(out + 4 * pstride + i,
                            _mm512_maskz_mov_epi8(_mm512_test_epi8_mask(ov, ov), one));
    }
}

/* libgcc fills the CPU model in a constructor before our code runs (no __builtin_cpu_init,
 * which would write that shared state again from every thread). */
static int have_vbmi(void) {
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vbmi");
}
#endif

int cetak__use_simd(int scalar_only) {
#ifdef CETAK_X86
    return !scalar_only && have_vbmi();
#else
    (void)scalar_only;
    return 0;
#endif
}

#ifdef CETAK_X86
__attribute__((target("avx512f,avx512bw,avx512vbmi"))) static void
pack_line_vbmi(const uint8_t *d, int nbits, uint8_t *out, size_t stride) {
    /* reverse the dots inside each group of 8, so that the mask bit of the first dot of a group
     * lands in bit 7 of its byte */
    static const uint8_t rev_idx[64] = {
        7,  6,  5,  4,  3,  2,  1,  0,  15, 14, 13, 12, 11, 10, 9,  8,  23, 22, 21, 20, 19, 18,
        17, 16, 31, 30, 29, 28, 27, 26, 25, 24, 39, 38, 37, 36, 35, 34, 33, 32, 47, 46, 45, 44,
        43, 42, 41, 40, 55, 54, 53, 52, 51, 50, 49, 48, 63, 62, 61, 60, 59, 58, 57, 56};
    const __m512i rev = _mm512_loadu_si512(rev_idx);
    int j, b;
    for (j = 0; j + 64 <= CETAK_EVOLIS_W; j += 64) {
        const __m512i v = _mm512_permutexvar_epi8(rev, _mm512_loadu_si512(d + j));
        for (b = 0; b < nbits; b++) {
            const uint64_t m = _mm512_test_epi8_mask(v, _mm512_set1_epi8((char)(1 << b)));
            /* x86 is little-endian: byte q of the mask holds dots 8q .. 8q + 7 */
            memcpy(out + (size_t)b * stride + j / 8, &m, 8);
        }
    }
    for (; j < CETAK_EVOLIS_W; j += 8)
        for (b = 0; b < nbits; b++) out[(size_t)b * stride + j / 8] = cetak__pack8(d + j, b);
}
#endif

void cetak__pack_line(const uint8_t *d, int nbits, uint8_t *out, size_t stride, int simd) {
    int b;
#ifdef CETAK_X86
    if (simd) {
        pack_line_vbmi(d, nbits, out, stride);
        return;
    }
#else
    (void)simd;
#endif
    for (b = 0; b < nbits; b++) cetak__pack_bits(d, CETAK_EVOLIS_W, b, out + (size_t)b * stride);
}

/* ---- step B: 8 x 8 byte blocks of the strips, turned into 8 panel lines x 8 dots ---- */
/* Transposes rows r0 .. r0 + rows - 1 (rows a multiple of 8, strips stacked in `work` as
 * plane-major [5][rows][1016]) into the panel planes.  For each 8-column block all the group's
 * rows are done together, so every panel line receives `rows` contiguous bytes at once (whole
 * cache lines) instead of 8 bytes per pass over 3 MB of planes. */
static void transpose_group(const uint8_t *work, int r0, int rows, uint8_t *planes) {
    int p, x0, k, t;
    for (p = 0; p < 5; p++) {
        const uint8_t *src = work + (size_t)p * (size_t)rows * CETAK_CARD_W;
        uint8_t *plane = planes + (size_t)p * CETAK_PLANE;
        for (x0 = 0; x0 < CETAK_CARD_W; x0 += 8) {
            for (k = 0; k < rows; k += 8) {
                const uint8_t *s = src + (size_t)k * CETAK_CARD_W + (size_t)x0;
                /* canvas row r0+k+7 lands on dot0; rows run bottom-up along the line */
                uint8_t *dst = plane + (size_t)x0 * CETAK_EVOLIS_W +
                               (size_t)(CETAK_CARD_H - 8 - r0 - k);
#ifdef __SSE2__
                const __m128i a0 = _mm_loadl_epi64((const __m128i *)(s + 7 * CETAK_CARD_W));
                const __m128i a1 = _mm_loadl_epi64((const __m128i *)(s + 6 * CETAK_CARD_W));
                const __m128i a2 = _mm_loadl_epi64((const __m128i *)(s + 5 * CETAK_CARD_W));
                const __m128i a3 = _mm_loadl_epi64((const __m128i *)(s + 4 * CETAK_CARD_W));
                const __m128i a4 = _mm_loadl_epi64((const __m128i *)(s + 3 * CETAK_CARD_W));
                const __m128i a5 = _mm_loadl_epi64((const __m128i *)(s + 2 * CETAK_CARD_W));
                const __m128i a6 = _mm_loadl_epi64((const __m128i *)(s + 1 * CETAK_CARD_W));
                const __m128i a7 = _mm_loadl_epi64((const __m128i *)s);
                const __m128i t0 = _mm_unpacklo_epi8(a0, a1), t1 = _mm_unpacklo_epi8(a2, a3);
                const __m128i t2 = _mm_unpacklo_epi8(a4, a5), t3 = _mm_unpacklo_epi8(a6, a7);
                const __m128i u0 = _mm_unpacklo_epi16(t0, t1), u1 = _mm_unpackhi_epi16(t0, t1);
                const __m128i u2 = _mm_unpacklo_epi16(t2, t3), u3 = _mm_unpackhi_epi16(t2, t3);
                const __m128i w[4] = {_mm_unpacklo_epi32(u0, u2), _mm_unpackhi_epi32(u0, u2),
                                      _mm_unpacklo_epi32(u1, u3), _mm_unpackhi_epi32(u1, u3)};
                for (t = 0; t < 4; t++) {
                    _mm_storel_epi64((__m128i *)(dst + (size_t)(2 * t) * CETAK_EVOLIS_W), w[t]);
                    _mm_storel_epi64((__m128i *)(dst + (size_t)(2 * t + 1) * CETAK_EVOLIS_W),
                                     _mm_srli_si128(w[t], 8));
                }
#else
                int r;
                for (t = 0; t < 8; t++)
                    for (r = 0; r < 8; r++)
                        dst[(size_t)t * CETAK_EVOLIS_W + (size_t)r] =
                            s[(size_t)(7 - r) * CETAK_CARD_W + (size_t)t];
#endif
            }
        }
    }
}

void cetak__side_planes(const cetak_side *side, const cetak_luts *luts, int scalar_only,
                        uint8_t *planes, uint8_t *work) {
    int r0, k;
#ifdef CETAK_X86
    const int vbmi = !scalar_only && have_vbmi();
#else
    (void)scalar_only;
#endif
    for (r0 = 0; r0 < CETAK_CARD_H; r0 += CETAK_GROUP_ROWS) {
        const int rows = CETAK_CARD_H - r0 < CETAK_GROUP_ROWS ? CETAK_CARD_H - r0 : CETAK_GROUP_ROWS;
        for (k = 0; k < rows; k += STRIP_ROWS) {
            /* strips land straight in the group's planes: [5][rows][1016] */
            const size_t base = (size_t)(r0 + k) * CETAK_CARD_W;
            const size_t pstride = (size_t)rows * CETAK_CARD_W;
            uint8_t *dst = work + (size_t)k * CETAK_CARD_W;
#ifdef CETAK_X86
            if (vbmi)
                strip_vbmi(side->rgb + 3 * base, side->k_mask + base, side->o_mask + base, luts,
                           dst, pstride);
            else
#endif
                strip_scalar(side->rgb + 3 * base, side->k_mask + base, side->o_mask + base, luts,
                             dst, pstride);
        }
        transpose_group(work, r0, rows, planes);
    }
}

int cetak_panels(const cetak_side *side, const cetak_job_opts *opts, uint8_t *out, size_t out_len,
                 cetak_error *err) {
    const size_t plane = (size_t)CETAK_PANEL_LINES * CETAK_EVOLIS_W;
    cetak_luts luts;
    uint8_t *work;
    int rc;
    if ((rc = cetak__check_side(side, "card", err)) != CETAK_OK) return rc;
    if ((rc = cetak__make_luts(opts, &luts, err)) != CETAK_OK) return rc;
    if (!out || out_len != 5 * plane)
        return cetak__fail(err, CETAK_E_SPACE, 0, "panel buffer must be %zu bytes", 5 * plane);
    work = malloc(CETAK_SIDE_WORK);
    if (!work) return cetak__fail(err, CETAK_E_NOMEM, 0, "no memory for the panel work area");
    cetak__side_planes(side, &luts, opts->scalar_only, out, work);
    free(work);
    return CETAK_OK;
}
