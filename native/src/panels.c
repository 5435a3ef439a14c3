/* Rendered card (landscape RGB + resin-black and overlay masks) -> Y, M, C, K, O panels. */
#include <stdlib.h>

#include "internal.h"

int cetak__fail(cetak_error *err, int code, size_t offset, const char *fmt, ...) {
    if (err) {
        va_list ap;
        err->code = code;
        err->offset = offset;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return code;
}

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

void cetak__tile(const cetak_side *side, const cetak_luts *luts, int x0, int n, uint8_t *tile) {
    const uint8_t *ly = luts->lut[0], *lm = luts->lut[1], *lc = luts->lut[2];
    uint8_t *py = tile, *pm = tile + CETAK_TILE_PLANE, *pc = tile + 2 * CETAK_TILE_PLANE;
    uint8_t *pk = tile + 3 * CETAK_TILE_PLANE, *po = tile + 4 * CETAK_TILE_PLANE;
    int r, t;
    for (r = 0; r < CETAK_CARD_H; r++) {
        const size_t base = (size_t)r * CETAK_CARD_W + (size_t)x0;
        const uint8_t *rgb = side->rgb + base * 3;
        const uint8_t *km = side->k_mask + base;
        const uint8_t *om = side->o_mask + base;
        const int dot = CETAK_CARD_H - 1 - r; /* panel = canvas turned 90 degrees clockwise */
        for (t = 0; t < n; t++) {
            const uint8_t k = km[t] != 0;
            const uint8_t keep = (uint8_t)(k - 1); /* 0xFF unless resin black */
            const size_t at = (size_t)t * CETAK_EVOLIS_W + (size_t)dot;
            py[at] = ly[rgb[3 * t + 2]] & keep;
            pm[at] = lm[rgb[3 * t + 1]] & keep;
            pc[at] = lc[rgb[3 * t]] & keep;
            pk[at] = k;
            po[at] = om[t] != 0;
        }
    }
}

int cetak_panels(const cetak_side *side, const cetak_job_opts *opts, uint8_t *out, size_t out_len,
                 cetak_error *err) {
    const size_t plane = (size_t)CETAK_PANEL_LINES * CETAK_EVOLIS_W;
    cetak_luts luts;
    uint8_t tile[CETAK_TILE_BYTES];
    int rc, x0, p, t;
    if ((rc = cetak__check_side(side, "card", err)) != CETAK_OK) return rc;
    if ((rc = cetak__make_luts(opts, &luts, err)) != CETAK_OK) return rc;
    if (!out || out_len != 5 * plane)
        return cetak__fail(err, CETAK_E_SPACE, 0, "panel buffer must be %zu bytes", 5 * plane);
    for (x0 = 0; x0 < CETAK_CARD_W; x0 += CETAK_TILE) {
        int n = CETAK_CARD_W - x0 < CETAK_TILE ? CETAK_CARD_W - x0 : CETAK_TILE;
        cetak__tile(side, &luts, x0, n, tile);
        for (p = 0; p < 5; p++)
            for (t = 0; t < n; t++)
                memcpy(out + p * plane + (size_t)(x0 + t) * CETAK_EVOLIS_W,
                       tile + p * CETAK_TILE_PLANE + t * CETAK_EVOLIS_W, CETAK_EVOLIS_W);
    }
    return CETAK_OK;
}
