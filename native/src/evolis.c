/* Evolis command streams: job encoder, framer and decoder (docs/printer-dialects.md, "Evolis").
 *
 * Command framing: ESC name [';' param]* CR.  Downloads carry a binary payload before the CR:
 *   Db;<panel>;<levels>;<raw bits>           payload size follows from levels (1016 x 648 dots)
 *   Dbc;<panel>;<levels>;<n>;<n bytes>       compressed, line by line:
 *     1-bit panels: 0x00 blank line, 0xFF full line, N (1..81) = N bytes, rest of line zero;
 *     colour: MSB 0 = one literal dot; MSB 1 = repeat: low `bits` bits the value, the spare bits
 *       above them x 256 plus the next byte the count; count 0 = rest of line blank.
 * Runs of 0x00 between commands are padding (the vendor driver pads after downloads and Se).
 */
#include <stdlib.h>

#include "cetak_internal.h"

#define ESC 0x1B
#define CR 0x0D
#define MAX_NAME 16
#define MAX_TEXT 512           /* a non-download command longer than this is garbage */
#define MAX_DOWNLOAD_HEADER 64 /* "Dbc;k;2;83312;" and the like */
#define LINE_BYTES_1BIT 81
#define MAX_DBC_LEN ((size_t)2 * CETAK_PANEL_LINES * CETAK_EVOLIS_W)

static const char PANEL_LETTERS[5] = {'y', 'm', 'c', 'k', 'o'};

/* ---- output buffer ---- */
typedef struct {
    uint8_t *p;
    size_t cap, n;
} wbuf;

static int put(wbuf *w, const void *src, size_t len) {
    if (len > w->cap - w->n) return 0;
    memcpy(w->p + w->n, src, len);
    w->n += len;
    return 1;
}

/* ESC text CR */
static int put_cmd(wbuf *w, const char *text) {
    const uint8_t esc = ESC, cr = CR;
    return put(w, &esc, 1) && put(w, text, strlen(text)) && put(w, &cr, 1);
}

/* ---- line encoders ---- */
static size_t raw_line_size(int bits) { return (size_t)CETAK_EVOLIS_W * (size_t)bits / 8; }

/* `bits`-bit values packed without gaps, first dot in the most significant bits. */
static size_t pack_colour_line(const uint8_t *d, int bits, uint8_t *out) {
    size_t o = 0;
    int j, i, b;
    for (j = 0; j < CETAK_EVOLIS_W; j += 8) {
        uint64_t acc = 0;
        for (i = 0; i < 8; i++) acc = (acc << bits) | d[j + i];
        for (b = bits - 1; b >= 0; b--) out[o++] = (uint8_t)(acc >> (8 * b));
    }
    return o;
}

static void pack_mono_line(const uint8_t *d, uint8_t *out, int simd) {
    cetak__pack_line(d, 1, out, LINE_BYTES_1BIT, simd);
}

static size_t compress_mono_line(const uint8_t *d, uint8_t *out, int simd) {
    uint8_t line[LINE_BYTES_1BIT];
    int n = LINE_BYTES_1BIT, full = 1, j;
    pack_mono_line(d, line, simd);
    while (n > 0 && line[n - 1] == 0) n--;
    if (n == 0) {
        out[0] = 0x00;
        return 1;
    }
    for (j = 0; j < LINE_BYTES_1BIT && full; j++) full = line[j] == 0xFF;
    if (full) {
        out[0] = 0xFF;
        return 1;
    }
    out[0] = (uint8_t)n;
    memcpy(out + 1, line, (size_t)n);
    return (size_t)n + 1;
}

static int max_run(int bits) { return bits == 5 ? 1023 : bits == 6 ? 511 : 255; }

/* Emits one maximal run of `len` dots of value v that ends at `end`; returns bytes written. */
static size_t emit_run(uint8_t v, int len, int end, int bits, uint8_t *out) {
    const int maxc = max_run(bits);
    size_t o = 0;
    if (end == CETAK_EVOLIS_W && v == 0 && len >= 2) {
        out[0] = 0x80; /* rest of line blank */
        out[1] = 0x00;
        return 2;
    }
    while (len >= 3) {
        const int c = len < maxc ? len : maxc;
        out[o++] = (uint8_t)(0x80 | ((c >> 8) << bits) | v);
        out[o++] = (uint8_t)(c & 0xFF);
        len -= c;
    }
    while (len-- > 0) out[o++] = v;
    return o;
}

#define EQ_WORDS ((CETAK_EVOLIS_W + 63) / 64 + 1)
#define LINE_PAD 32

/* eq bit p: dot p equals dot p + 1 (p <= 646); starts bit p: a run of 3 or more begins at p. */
static void line_bitmaps(const uint8_t *buf, uint64_t *eq, uint64_t *starts) {
    int j, k;
    memset(eq, 0, EQ_WORDS * sizeof *eq);
#if defined(__SSE2__)
    for (j = 0; j < CETAK_EVOLIS_W; j += 16) {
        const __m128i a = _mm_loadu_si128((const __m128i *)(buf + j));
        const __m128i b = _mm_loadu_si128((const __m128i *)(buf + j + 1));
        const uint64_t m = (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(a, b));
        eq[j / 64] |= m << (j % 64);
    }
#else
    for (j = 0; j < CETAK_EVOLIS_W; j++)
        if (buf[j] == buf[j + 1]) eq[j / 64] |= (uint64_t)1 << (j % 64);
#endif
    for (k = (CETAK_EVOLIS_W - 1) / 64; k < EQ_WORDS; k++) {
        const int lo = k * 64, keep = CETAK_EVOLIS_W - 1 - lo;
        eq[k] &= keep >= 64 ? ~0ULL : keep <= 0 ? 0 : (((uint64_t)1 << keep) - 1);
    }
    for (k = 0; k + 1 < EQ_WORDS; k++) starts[k] = eq[k] & ((eq[k] >> 1) | (eq[k + 1] << 63));
}

/* First p >= from with bit p set in w (invert: clear), or CETAK_EVOLIS_W. */
static int next_bit(const uint64_t *w, int from, uint64_t invert) {
    int k = from >> 6;
    uint64_t x;
    if (from >= CETAK_EVOLIS_W) return CETAK_EVOLIS_W;
    x = (w[k] ^ invert) & (~0ULL << (from & 63));
    while (!x) {
        if (++k >= EQ_WORDS - 1) return CETAK_EVOLIS_W;
        x = w[k] ^ invert;
    }
    k = k * 64 + __builtin_ctzll(x);
    return k < CETAK_EVOLIS_W ? k : CETAK_EVOLIS_W;
}

/* Copies n literal dots in 16-byte steps: src is padded and out has COMPRESS_SLACK spare bytes,
 * so the over-copy stays inside both (cheaper than a libc call for these short stretches). */
static inline void copy_literals(uint8_t *out, const uint8_t *src, int n) {
    int i;
    for (i = 0; i < n; i += 16) memcpy(out + i, src + i, 16);
}

/* Deterministic choice (the NumPy reference makes the same): maximal runs; a trailing run of
 * blank dots of length >= 2 becomes "rest of line blank"; runs of 3 or more become repeats in
 * chunks of at most max_run(bits); anything shorter is sent as literals.  Bitmaps of equal
 * neighbours find run starts and ends without looking at dots one by one. */
static size_t compress_colour_line(const uint8_t *d, int bits, uint8_t *out) {
    uint64_t eq[EQ_WORDS], starts[EQ_WORDS - 1];
    uint8_t buf[CETAK_EVOLIS_W + LINE_PAD];
    const int maxc = max_run(bits);
    size_t o = 0;
    int i = 0;
    memcpy(buf, d, CETAK_EVOLIS_W);
    memset(buf + CETAK_EVOLIS_W, 0, LINE_PAD);
    line_bitmaps(buf, eq, starts);
    while (i < CETAK_EVOLIS_W) {
        const int j = next_bit(starts, i, 0);
        int e;
        if (j == CETAK_EVOLIS_W) {
            /* only runs of 1 or 2 remain: a final blank pair still becomes "rest blank" */
            const int n = CETAK_EVOLIS_W - i;
            if (n >= 2 && buf[CETAK_EVOLIS_W - 1] == 0 && buf[CETAK_EVOLIS_W - 2] == 0) {
                copy_literals(out + o, buf + i, n - 2);
                o += (size_t)(n - 2);
                out[o++] = 0x80;
                out[o++] = 0x00;
            } else {
                copy_literals(out + o, buf + i, n);
                o += (size_t)n;
            }
            break;
        }
        copy_literals(out + o, buf + i, j - i);
        o += (size_t)(j - i);
        e = next_bit(eq, j, ~0ULL) + 1; /* the run ends after the first unequal neighbour */
        if (e > CETAK_EVOLIS_W) e = CETAK_EVOLIS_W;
        if (e < CETAK_EVOLIS_W && e - j <= maxc) { /* the common case: one repeat */
            out[o] = (uint8_t)(0x80 | (((e - j) >> 8) << bits) | buf[j]);
            out[o + 1] = (uint8_t)((e - j) & 0xFF);
            o += 2;
        } else {
            o += emit_run(buf[j], e - j, e, bits, out + o);
        }
        i = e;
    }
    return o;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define LINE_WORDS (EQ_WORDS - 1) /* 11 x 64 bits cover a 648-dot line */

static void shl1(const uint64_t *x, uint64_t *y) { /* y[p] = x[p - 1] */
    int k;
    for (k = LINE_WORDS - 1; k > 0; k--) y[k] = (x[k] << 1) | (x[k - 1] >> 63);
    y[0] = x[0] << 1;
}

static void shr1(const uint64_t *x, uint64_t *y) { /* y[p] = x[p + 1] */
    int k;
    for (k = 0; k + 1 < LINE_WORDS; k++) y[k] = (x[k] >> 1) | (x[k + 1] << 63);
    y[LINE_WORDS - 1] = x[LINE_WORDS - 1] >> 1;
}

/* The same bytes as compress_colour_line, with the per-dot work done on bitmaps: each run's two
 * token bytes are written over its first two dots, the rest of the run is dropped, and
 * AVX-512 VBMI2 compress-stores squeeze the kept bytes together 64 at a time.  Lines with a
 * run longer than one repeat can carry go to compress_colour_line (they have few runs). */
__attribute__((target("avx512f,avx512bw,avx512vbmi2"))) static size_t
compress_colour_line_vbmi2(const uint8_t *d, int bits, uint8_t *out) {
    uint64_t eq[EQ_WORDS], left[LINE_WORDS], right[LINE_WORDS],
        m2[LINE_WORDS], first[LINE_WORDS], inner[LINE_WORDS], second[LINE_WORDS];
    /* run positions; 32 spare entries take the tail of each 64-byte compress-store */
    uint16_t start[CETAK_EVOLIS_W / 3 + 1 + 32], end[CETAK_EVOLIS_W / 3 + 1 + 32];
    static const uint16_t iota[32] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10,
                                      11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
                                      22, 23, 24, 25, 26, 27, 28, 29, 30, 31};
    const __m512i lanes = _mm512_loadu_si512(iota);
    uint8_t tok[(LINE_WORDS + 1) * 64];
    const int maxc = max_run(bits);
    size_t o = 0;
    int k, n = 0, m = 0, r, too_long = 0, last_blank;
    memcpy(tok, d, CETAK_EVOLIS_W);
    memset(tok + CETAK_EVOLIS_W, 0, sizeof tok - CETAK_EVOLIS_W);
    for (k = 0; k < LINE_WORDS; k++)
        eq[k] = _mm512_cmpeq_epi8_mask(_mm512_loadu_si512(tok + 64 * k),
                                       _mm512_loadu_si512(tok + 64 * k + 1));
    eq[LINE_WORDS] = 0;
    /* eq[p] compares dot p with p + 1: only p <= 646 is inside the line */
    eq[(CETAK_EVOLIS_W - 1) / 64] &= ((uint64_t)1 << ((CETAK_EVOLIS_W - 1) % 64)) - 1;
    for (k = (CETAK_EVOLIS_W - 1) / 64 + 1; k < LINE_WORDS; k++) eq[k] = 0;
    shl1(eq, left);  /* left[p]: dot p equals dot p - 1 */
    shr1(eq, right); /* right[p]: dots p + 1 and p + 2 are equal */
    for (k = 0; k < LINE_WORDS; k++) {
        /* positions of set bits without a data-dependent loop: compress-store an index vector */
        const __m512i lo = _mm512_add_epi16(lanes, _mm512_set1_epi16((short)(k * 64)));
        const __m512i hi = _mm512_add_epi16(lanes, _mm512_set1_epi16((short)(k * 64 + 32)));
        const __m512i two = _mm512_set1_epi16(2);
        uint64_t e;
        m2[k] = eq[k] & (right[k] | left[k]); /* eq bits of runs of 3 or more dots */
        first[k] = m2[k] & ~left[k];          /* a run's first dot */
        e = m2[k] & ~right[k];                /* a run's last dot - 1: the run ends 2 later */
        _mm512_storeu_si512(start + n, _mm512_maskz_compress_epi16((__mmask32)first[k], lo));
        n += __builtin_popcount((unsigned)first[k]);
        _mm512_storeu_si512(start + n, _mm512_maskz_compress_epi16((__mmask32)(first[k] >> 32), hi));
        n += __builtin_popcount((unsigned)(first[k] >> 32));
        _mm512_storeu_si512(end + m, _mm512_maskz_compress_epi16((__mmask32)e,
                                                                 _mm512_add_epi16(lo, two)));
        m += __builtin_popcount((unsigned)e);
        _mm512_storeu_si512(end + m, _mm512_maskz_compress_epi16((__mmask32)(e >> 32),
                                                                 _mm512_add_epi16(hi, two)));
        m += __builtin_popcount((unsigned)(e >> 32));
    }
    shl1(m2, inner);     /* dots inside a run, after its first */
    shl1(first, second); /* where each run's count byte goes */
    last_blank = n > 0 && end[n - 1] == CETAK_EVOLIS_W && tok[start[n - 1]] == 0;
    for (r = 0; r < n; r++) {
        const int len = end[r] - start[r];
        /* only the scalar path splits a run into several repeats (a final blank run never is) */
        too_long |= len > maxc && !(last_blank && r == n - 1);
        tok[start[r] + 1] = (uint8_t)(len & 0xFF);
        tok[start[r]] = (uint8_t)(0x80 | ((len >> 8) << bits) | tok[start[r]]);
    }
    if (too_long) return compress_colour_line(d, bits, out);
    if (last_blank) { /* a blank run reaching the end of the line: "rest of line blank" */
        tok[start[n - 1]] = 0x80;
        tok[start[n - 1] + 1] = 0x00;
    } else if (tok[CETAK_EVOLIS_W - 1] == 0 && tok[CETAK_EVOLIS_W - 2] == 0 &&
               !((inner[(CETAK_EVOLIS_W - 1) / 64] >> ((CETAK_EVOLIS_W - 1) % 64)) & 1)) {
        /* a final pair of literal blanks is "rest of line blank" too */
        tok[CETAK_EVOLIS_W - 2] = 0x80;
        tok[CETAK_EVOLIS_W - 1] = 0x00;
    }
    for (k = 0; k < LINE_WORDS; k++) {
        const int valid = CETAK_EVOLIS_W - k * 64;
        const uint64_t in_line = valid >= 64 ? ~0ULL : valid <= 0 ? 0 : (((uint64_t)1 << valid) - 1);
        const uint64_t keep = ((~inner[k] & in_line) | second[k]);
        const __m512i v = _mm512_loadu_si512(tok + 64 * k);
        _mm512_storeu_si512(out + o, _mm512_maskz_compress_epi8(keep, v));
        o += (size_t)__builtin_popcountll(keep);
    }
    return o;
}

static int have_vbmi2(void) {
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vbmi2");
}
#define HAVE_VBMI2_PATH 1
#endif

static size_t compress_colour(const uint8_t *d, int bits, uint8_t *out, int simd) {
#ifdef HAVE_VBMI2_PATH
    if (simd) return compress_colour_line_vbmi2(d, bits, out);
#else
    (void)simd;
#endif
    return compress_colour_line(d, bits, out);
}

static int colour_simd(int scalar_only) {
#ifdef HAVE_VBMI2_PATH
    return !scalar_only && have_vbmi2();
#else
    (void)scalar_only;
    return 0;
#endif
}

int cetak__colour_simd(int scalar_only) { return colour_simd(scalar_only); }

/* ---- encoder ---- */
/* bytes the line compressors may write past their output (16-byte literal copies, 64-byte
 * compress-stores) */
#define COMPRESS_SLACK 64

static size_t panel_max(int p, int bits, int compress) {
    if (p >= 3) return (size_t)CETAK_PANEL_LINES * (compress ? LINE_BYTES_1BIT + 1 : LINE_BYTES_1BIT);
    return (size_t)CETAK_PANEL_LINES * (compress ? CETAK_EVOLIS_W : raw_line_size(bits));
}

size_t cetak_evolis_max_size(const cetak_job_opts *opts, int duplex) {
    const int bits = opts ? cetak__bits_for_levels(opts->levels) : 8;
    size_t side = 0;
    int p;
    /* each download: header, payload, CR and the compressors' slack */
    for (p = 0; p < 5; p++)
        side += panel_max(p, bits ? bits : 8, opts && opts->compress) + 32 + COMPRESS_SLACK;
    return 1024 + side * (duplex ? 2 : 1);
}

static int check_ribbon(const char *r, cetak_error *err) {
    size_t i, n = r ? strlen(r) : 0;
    if (n == 0 || n > 15) return cetak__fail(err, CETAK_E_ARG, 0, "ribbon must be 1-15 letters");
    for (i = 0; i < n; i++)
        if (!((r[i] >= 'a' && r[i] <= 'z') || (r[i] >= 'A' && r[i] <= 'Z')))
            return cetak__fail(err, CETAK_E_ARG, 0, "ribbon must be letters only");
    return CETAK_OK;
}

/* Encodes one side's panels into scratch streams, then frames them as downloads. */
static int encode_side(wbuf *w, const cetak_side *side, int panels, const cetak_luts *luts,
                       const cetak_job_opts *opts, uint8_t *planes, cetak_error *err) {
    const int bits = luts->bits, compress = opts->compress;
    const int simd = colour_simd(opts->scalar_only), mono_simd = cetak__use_simd(opts->scalar_only);
    int p, line;
    cetak__side_planes(side, luts, opts->scalar_only, planes, planes + 5 * CETAK_PLANE);
    for (p = 0; p < 5; p++) {
        char head[48], digits[24];
        size_t h = 0, used = 0, nd, data_at;
        /* Downloads are encoded straight into the output after a header that assumes the
         * length has as many digits as a full-size panel's; a small panel (fewer digits) is
         * moved down afterwards, which is cheap because it is small. */
        const size_t guess = p >= 3 ? 5 : 6;
        const int levels = p >= 3 ? 2 : (1 << bits);
        const uint8_t *plane = planes + (size_t)p * CETAK_PLANE;
        uint8_t *o;
        if (!(panels & (1 << p))) continue;
        head[h++] = ESC;
        memcpy(head + h, compress ? "Dbc;" : "Db;", compress ? 4 : 3);
        h += compress ? 4 : 3;
        head[h++] = PANEL_LETTERS[p];
        head[h++] = ';';
        h += cetak__utoa(head + h, (size_t)levels);
        head[h++] = ';';
        data_at = w->n + h + (compress ? guess + 1 : 0);
        if (w->cap - w->n < h + 32 + panel_max(p, bits, compress) + COMPRESS_SLACK)
            return cetak__fail(err, CETAK_E_SPACE, 0, "output buffer too small");
        o = w->p + data_at;
        for (line = 0; line < CETAK_PANEL_LINES; line++) {
            const uint8_t *d = plane + (size_t)line * CETAK_EVOLIS_W;
            if (p >= 3) {
                if (compress) {
                    used += compress_mono_line(d, o + used, mono_simd);
                } else {
                    pack_mono_line(d, o + used, mono_simd);
                    used += LINE_BYTES_1BIT;
                }
            } else {
                used += compress ? compress_colour(d, bits, o + used, simd)
                                 : pack_colour_line(d, bits, o + used);
            }
        }
        memcpy(w->p + w->n, head, h);
        w->n += h;
        if (compress) {
            nd = cetak__utoa(digits, used);
            digits[nd++] = ';';
            if (nd != guess + 1) memmove(w->p + w->n + nd, o, used);
            memcpy(w->p + w->n, digits, nd);
            w->n += nd;
        }
        w->n += used;
        w->p[w->n++] = CR;
    }
    return CETAK_OK;
}

size_t cetak_encode_work_size(const cetak_job_opts *opts) {
    const int bits = opts ? cetak__bits_for_levels(opts->levels) : 8;
    return 5 * CETAK_PLANE + CETAK_SIDE_WORK + panel_max(0, bits ? bits : 8, opts && opts->compress) +
           COMPRESS_SLACK;
}

int cetak_evolis_encode(const cetak_side *front, const cetak_side *back, const cetak_job_opts *opts,
                        uint8_t *work, size_t work_len, uint8_t *out, size_t cap, size_t *out_len,
                        size_t *chip_offset, cetak_error *err) {
    cetak_luts luts;
    wbuf w;
    char text[64];
    size_t text_len;
    uint8_t *scratch;
    int rc, p;
    if (!out || !out_len || !chip_offset) return cetak__fail(err, CETAK_E_ARG, 0, "null output");
    *out_len = 0;
    *chip_offset = 0;
    if ((rc = cetak__make_luts(opts, &luts, err)) != CETAK_OK) return rc;
    if ((rc = check_ribbon(opts->ribbon, err)) != CETAK_OK) return rc;
    if ((rc = cetak__check_side(front, "front", err)) != CETAK_OK) return rc;
    if (back && (rc = cetak__check_side(back, "back", err)) != CETAK_OK) return rc;
    if (opts->compress && luts.bits > 7)
        return cetak__fail(err, CETAK_E_ARG, 0,
                           "compressed downloads (Dbc) carry at most 128 levels; use 32, 64 or "
                           "128 levels or turn compression off");
    if ((opts->front_panels & ~31) || !opts->front_panels ||
        (back && ((opts->back_panels & ~31) || !opts->back_panels)))
        return cetak__fail(err, CETAK_E_ARG, 0, "each printed side needs at least one panel");
    if (opts->contrast && opts->contrast_len != 5)
        return cetak__fail(err, CETAK_E_ARG, 0, "contrast needs 5 values (y, m, c, k, o)");

    w.p = out;
    w.cap = cap;
    w.n = 0;
    text_len = 0;
    if (cetak__appendf(text, sizeof text, &text_len, "Pr;%s", opts->ribbon) != CETAK_OK)
        return cetak__fail(err, CETAK_E_LIMIT, 0, "ribbon command longer than %zu bytes",
                           sizeof text - 1);
    rc = put_cmd(&w, text) && put_cmd(&w, "Pmi;F;s");
    for (p = 0; rc && opts->contrast && p < 5; p++) {
        if (opts->contrast[p] == CETAK_NO_CONTRAST) continue;
        if (opts->contrast[p] < -99 || opts->contrast[p] > 99)
            return cetak__fail(err, CETAK_E_ARG, 0, "contrast must be within -99..99");
        text_len = 0;
        if (cetak__appendf(text, sizeof text, &text_len, "Pc;%c;=;%d", PANEL_LETTERS[p],
                           opts->contrast[p]) != CETAK_OK)
            return cetak__fail(err, CETAK_E_LIMIT, 0, "contrast command longer than %zu bytes",
                               sizeof text - 1);
        rc = put_cmd(&w, text);
    }
    rc = rc && put_cmd(&w, "Ss");
    if (rc && opts->contactless) {
        /* the card waits at the contactless station; the host pauses here for the chip */
        rc = put_cmd(&w, "Sic");
        *chip_offset = w.n;
    }
    rc = rc && put_cmd(&w, "Sr");
    if (!rc) return cetak__fail(err, CETAK_E_SPACE, 0, "output buffer too small");

    /* work: the side's 5 panels and their work area */
    if (!work || work_len < cetak_encode_work_size(opts))
        return cetak__fail(err, CETAK_E_SPACE, 0, "work area must be %zu bytes",
                           cetak_encode_work_size(opts));
    scratch = work;
    rc = encode_side(&w, front, opts->front_panels, &luts, opts, scratch, err);
    if (rc == CETAK_OK && back) {
        if (!put_cmd(&w, "Sv"))
            rc = cetak__fail(err, CETAK_E_SPACE, 0, "output buffer too small");
        else
            rc = encode_side(&w, back, opts->back_panels, &luts, opts, scratch, err);
    }
    if (rc != CETAK_OK) return rc;
    if (!put_cmd(&w, "Se")) return cetak__fail(err, CETAK_E_SPACE, 0, "output buffer too small");
    *out_len = w.n;
    return CETAK_OK;
}

size_t cetak_evolis_compress_max(void) {
    return (size_t)CETAK_PANEL_LINES * CETAK_EVOLIS_W + COMPRESS_SLACK;
}

int cetak_evolis_compress(const uint8_t *dots, size_t len, int levels, uint8_t *out, size_t cap,
                          size_t *out_len, cetak_error *err) {
    const int bits = cetak__bits_for_levels(levels);
    size_t used = 0, j;
    int line;
    if (!dots || !out || !out_len) return cetak__fail(err, CETAK_E_ARG, 0, "null argument");
    *out_len = 0;
    if (len != CETAK_PLANE)
        return cetak__fail(err, CETAK_E_ARG, 0, "a panel is %zu dots, not %zu", CETAK_PLANE, len);
    if (bits == 0 || bits == 8)
        return cetak__fail(err, CETAK_E_ARG, 0, "compressed panels take levels 2, 32, 64 or 128");
    if (cap < cetak_evolis_compress_max())
        return cetak__fail(err, CETAK_E_SPACE, 0, "output needs %zu bytes", cetak_evolis_compress_max());
    for (j = 0; j < len; j++)
        if (dots[j] >= levels)
            return cetak__fail(err, CETAK_E_ARG, j, "dot %zu has value %d, above %d levels", j, dots[j],
                               levels);
    for (line = 0; line < CETAK_PANEL_LINES; line++) {
        const uint8_t *d = dots + (size_t)line * CETAK_EVOLIS_W;
        used += bits == 1 ? compress_mono_line(d, out + used, 0) : compress_colour_line(d, bits, out + used);
    }
    *out_len = used;
    return CETAK_OK;
}

/* ---- framing ---- */
static int is_alpha(uint8_t c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

typedef struct {
    size_t name_len;      /* after ESC */
    int download;         /* 0 none, 1 Db, 2 Dbc */
    char panel;
    int levels;
    size_t payload_off;   /* from the unit start */
    size_t payload_len;
    size_t text_len;      /* after ESC, up to CR or payload (without the ';' before payload) */
} ev_unit;

/* Reads a ';'-terminated field starting at *i.  Returns 1 done, 0 need more, <0 error. */
static int read_field(const uint8_t *b, size_t len, size_t *i, size_t abs, size_t *f0,
                      size_t *flen, cetak_error *err) {
    size_t j = *i;
    while (j < len && b[j] != ';') {
        if (b[j] < 0x20 || b[j] > 0x7E)
            return cetak__fail(err, CETAK_E_SYNTAX, abs + j,
                               "byte 0x%02X inside a download header", b[j]);
        if (j > MAX_DOWNLOAD_HEADER)
            return cetak__fail(err, CETAK_E_SYNTAX, abs, "download header too long");
        j++;
    }
    if (j >= len) return 0;
    *f0 = *i;
    *flen = j - *i;
    *i = j + 1;
    return 1;
}

static int parse_uint(const uint8_t *s, size_t n, size_t *v) {
    size_t i, acc = 0;
    if (n == 0 || n > 9) return 0;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        acc = acc * 10 + (size_t)(s[i] - '0');
    }
    *v = acc;
    return 1;
}

/* One unit at b (abs = its offset in the whole stream, for messages).  *ulen = 0: need more.
 * For padding u->name_len = 0 and u->download = -1. */
static int ev_frame(const uint8_t *b, size_t len, size_t abs, size_t *ulen, ev_unit *u,
                    cetak_error *err) {
    size_t i;
    *ulen = 0;
    memset(u, 0, sizeof *u);
    if (len == 0) return CETAK_OK;
    if (b[0] == 0x00) {
        for (i = 0; i < len && b[i] == 0x00; i++) {}
        u->download = -1;
        *ulen = i;
        return CETAK_OK;
    }
    if (b[0] != ESC)
        return cetak__fail(err, CETAK_E_SYNTAX, abs,
                           "expected ESC (0x1B) at the start of a command, found 0x%02X", b[0]);
    for (i = 1; i < len && is_alpha(b[i]); i++) {
        if (i > MAX_NAME) return cetak__fail(err, CETAK_E_SYNTAX, abs, "command name too long");
    }
    if (i >= len) return CETAK_OK;
    u->name_len = i - 1;
    if (u->name_len == 0)
        return cetak__fail(err, CETAK_E_SYNTAX, abs + 1,
                           "command name expected after ESC, found 0x%02X", b[1]);
    if ((u->name_len == 2 && memcmp(b + 1, "Db", 2) == 0) ||
        (u->name_len == 3 && memcmp(b + 1, "Dbc", 3) == 0)) {
        size_t f0 = 0, fl = 0, levels = 0, n = 0, end;
        int r, bits;
        u->download = u->name_len == 2 ? 1 : 2;
        if (b[i] != ';')
            return cetak__fail(err, CETAK_E_SYNTAX, abs + i, "';' expected after the download name");
        i++;
        if ((r = read_field(b, len, &i, abs, &f0, &fl, err)) <= 0) return r;
        if (fl != 1 || !strchr("ymcko", b[f0]))
            return cetak__fail(err, CETAK_E_SYNTAX, abs + f0, "download panel must be y, m, c, k or o");
        u->panel = (char)b[f0];
        if ((r = read_field(b, len, &i, abs, &f0, &fl, err)) <= 0) return r;
        if (!parse_uint(b + f0, fl, &levels))
            return cetak__fail(err, CETAK_E_SYNTAX, abs + f0, "download levels must be a number");
        bits = cetak__bits_for_levels((int)levels);
        if (u->panel == 'k' || u->panel == 'o') {
            if (bits != 1)
                return cetak__fail(err, CETAK_E_SYNTAX, abs + f0, "panel %c takes levels 2, not %zu",
                                   u->panel, levels);
        } else if (bits < 5 || (u->download == 2 && bits > 7)) {
            return cetak__fail(err, CETAK_E_SYNTAX, abs + f0,
                               "colour panel levels must be 32, 64, 128%s, not %zu",
                               u->download == 1 ? " or 256" : "", levels);
        }
        u->levels = (int)levels;
        if (u->download == 2) {
            if ((r = read_field(b, len, &i, abs, &f0, &fl, err)) <= 0) return r;
            if (!parse_uint(b + f0, fl, &n))
                return cetak__fail(err, CETAK_E_SYNTAX, abs + f0, "download length must be a number");
            if (n > MAX_DBC_LEN)
                return cetak__fail(err, CETAK_E_LENGTH, abs + f0,
                                   "download length %zu is larger than any panel", n);
        } else {
            n = (size_t)CETAK_PANEL_LINES * CETAK_EVOLIS_W * (size_t)bits / 8;
        }
        u->text_len = i - 2; /* without the ';' that precedes the payload */
        u->payload_off = i;
        u->payload_len = n;
        end = i + n;
        if (len <= end) return CETAK_OK;
        if (b[end] != CR)
            return cetak__fail(err, CETAK_E_LENGTH, abs + end,
                               "download of %zu bytes is not followed by CR (found 0x%02X): its "
                               "length field is wrong", n, b[end]);
        *ulen = end + 1;
        return CETAK_OK;
    }
    for (; i < len && b[i] != CR; i++) {
        if (b[i] == ESC)
            return cetak__fail(err, CETAK_E_SYNTAX, abs + i, "command not terminated by CR");
        if (b[i] < 0x20 || b[i] > 0x7E)
            return cetak__fail(err, CETAK_E_SYNTAX, abs + i, "byte 0x%02X inside a command", b[i]);
        if (i > MAX_TEXT) return cetak__fail(err, CETAK_E_SYNTAX, abs, "command too long");
    }
    if (i >= len) return CETAK_OK;
    u->text_len = i - 1;
    *ulen = i + 1;
    return CETAK_OK;
}

int cetak_evolis_frame(const uint8_t *buf, size_t len, size_t *unit_len, cetak_error *err) {
    ev_unit u;
    if (!unit_len || (!buf && len)) return cetak__fail(err, CETAK_E_ARG, 0, "null buffer");
    return ev_frame(buf, len, 0, unit_len, &u, err);
}

/* ---- decoder ---- */
static const char *const KNOWN[] = {
    "Pr", "Pmi", "Pc", "Pl", "Ps", "Pdt", "Mr", "Ppws", "Pem", "Ss", "Se", "Sr", "Sv", "Sis",
    "Sic", "Ser", "Seb", "Srs", "Db", "Dbc", "Rfv", "Rsn", "Rtp", "Rr", "Rco", "Rse", "Rlr",
    "Rkn", NULL};

static int known(const uint8_t *name, size_t n) {
    int i;
    for (i = 0; KNOWN[i]; i++)
        if (strlen(KNOWN[i]) == n && memcmp(KNOWN[i], name, n) == 0) return 1;
    return 0;
}

static void unpack_bits(const uint8_t *src, int bits, uint8_t *dots, size_t ndots) {
    size_t j;
    uint32_t acc = 0;
    int have = 0;
    for (j = 0; j < ndots; j++) {
        while (have < bits) {
            acc = (acc << 8) | *src++;
            have += 8;
        }
        have -= bits;
        dots[j] = (uint8_t)((acc >> have) & ((1u << bits) - 1));
    }
}

static int decompress(const uint8_t *p, size_t n, size_t abs, char panel, int bits, uint8_t *dots,
                      cetak_error *err) {
    size_t q = 0;
    int line;
    for (line = 0; line < CETAK_PANEL_LINES; line++) {
        uint8_t *d = dots + (size_t)line * CETAK_EVOLIS_W;
        if (panel == 'k' || panel == 'o') {
            uint8_t code;
            int j;
            if (q >= n)
                return cetak__fail(err, CETAK_E_LENGTH, abs + q,
                                   "compressed panel ends after %d of 1016 lines", line);
            code = p[q++];
            if (code == 0x00 || code == 0xFF) {
                memset(d, code ? 1 : 0, CETAK_EVOLIS_W);
                continue;
            }
            if (code > LINE_BYTES_1BIT)
                return cetak__fail(err, CETAK_E_SYNTAX, abs + q - 1,
                                   "line %d: byte count %d above 81", line, code);
            if (n - q < code)
                return cetak__fail(err, CETAK_E_LENGTH, abs + q,
                                   "compressed panel ends inside line %d", line);
            memset(d, 0, CETAK_EVOLIS_W);
            for (j = 0; j < 8 * code; j++) d[j] = (p[q + (size_t)j / 8] >> (7 - j % 8)) & 1;
            q += code;
        } else {
            const uint8_t vmask = (uint8_t)((1u << bits) - 1);
            int j = 0;
            while (j < CETAK_EVOLIS_W) {
                uint8_t c;
                if (q >= n)
                    return cetak__fail(err, CETAK_E_LENGTH, abs + q,
                                       "compressed panel ends inside line %d", line);
                c = p[q++];
                if (!(c & 0x80)) {
                    if (c > vmask)
                        return cetak__fail(err, CETAK_E_SYNTAX, abs + q - 1,
                                           "dot value %d above %d levels", c, 1 << bits);
                    d[j++] = c;
                } else {
                    size_t count;
                    if (q >= n)
                        return cetak__fail(err, CETAK_E_LENGTH, abs + q,
                                           "compressed panel ends inside a repeat");
                    count = (size_t)((c & 0x7F) >> bits) * 256 + p[q++];
                    if (count == 0) {
                        memset(d + j, 0, (size_t)(CETAK_EVOLIS_W - j));
                        j = CETAK_EVOLIS_W;
                    } else if (count > (size_t)(CETAK_EVOLIS_W - j)) {
                        return cetak__fail(err, CETAK_E_SYNTAX, abs + q - 2,
                                           "line %d: repeat of %zu dots runs past the line end",
                                           line, count);
                    } else {
                        memset(d + j, c & vmask, count);
                        j += (int)count;
                    }
                }
            }
        }
    }
    if (q != n)
        return cetak__fail(err, CETAK_E_LENGTH, abs,
                           "download says %zu bytes but the panel is complete after %zu", n, q);
    return CETAK_OK;
}

int cetak__evolis_walk(const uint8_t *data, size_t len, cetak_cmd *cmds, size_t cmd_cap,
                       size_t *n_cmds, cetak_panel *panels, size_t panel_cap, size_t *n_panels,
                       uint8_t *dots, size_t dots_cap, cetak_error *err) {
    const size_t plane = (size_t)CETAK_PANEL_LINES * CETAK_EVOLIS_W;
    size_t pos = 0, nc = 0, np = 0;
    int side = 0, rc;
    while (pos < len) {
        ev_unit u;
        size_t ulen;
        const uint8_t *b = data + pos;
        if ((rc = ev_frame(b, len - pos, pos, &ulen, &u, err)) != CETAK_OK) return rc;
        if (ulen == 0)
            return cetak__fail(err, CETAK_E_TRUNCATED, pos,
                               "stream ends inside the command starting at offset %zu", pos);
        if (u.download == -1) { /* padding */
            pos += ulen;
            continue;
        }
        if (!known(b + 1, u.name_len))
            return cetak__fail(err, CETAK_E_UNKNOWN, pos, "unknown Evolis command '%.*s'",
                               (int)u.name_len, (const char *)(b + 1));
        if (u.name_len == 2 && memcmp(b + 1, "Sr", 2) == 0) side = 0;
        if (u.name_len == 2 && memcmp(b + 1, "Sv", 2) == 0) side = 1;
        if (nc >= CETAK_MAX_COMMANDS)
            return cetak__fail(err, CETAK_E_COMMANDS, pos,
                               "more than %d commands in one stream; at most %d are decoded",
                               CETAK_MAX_COMMANDS, CETAK_MAX_COMMANDS);
        if (cmds) {
            if (nc >= cmd_cap) return cetak__fail(err, CETAK_E_SPACE, pos, "command array full");
            cmds[nc].kind = CETAK_CMD_TEXT;
            cmds[nc].offset = pos;
            cmds[nc].text_off = pos + 1;
            cmds[nc].text_len = u.text_len;
            cmds[nc].name_len = u.name_len;
        }
        nc++;
        if (u.download > 0) {
            if (panels) {
                cetak_panel *pp;
                const int bits = cetak__bits_for_levels(u.levels);
                size_t j, printed = 0;
                uint8_t *d;
                /* checked before any pointer into the arrays is formed */
                if (np >= panel_cap || (np + 1) * plane > dots_cap)
                    return cetak__fail(err, CETAK_E_SPACE, pos, "panel array full");
                pp = panels + np;
                d = dots + np * plane;
                if (u.download == 2) {
                    rc = decompress(b + u.payload_off, u.payload_len, pos + u.payload_off, u.panel,
                                    bits, d, err);
                    if (rc != CETAK_OK) return rc;
                } else {
                    unpack_bits(b + u.payload_off, bits, d, plane);
                }
                for (j = 0; j < plane; j++) printed += d[j] != 0;
                pp->side = side;
                pp->panel = u.panel;
                pp->levels = u.levels;
                pp->width = CETAK_EVOLIS_W;
                pp->height = CETAK_PANEL_LINES;
                pp->dots_off = np * plane;
                pp->dots_printed = printed;
            }
            np++;
        }
        pos += ulen;
    }
    *n_cmds = nc;
    *n_panels = np;
    return CETAK_OK;
}
