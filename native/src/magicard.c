/* Magicard command streams: job encoder, framer and decoder (docs/printer-dialects.md, "Magicard").
 *
 * A job: 64 x 0x05, 0x01, ASCII tokens each introduced by ',' (",SZB512064"), 0x1C, then each
 * plane named by an SZ token in that order: its bytes, 0x1C, the plane letter, 0x3A; then 0x03.
 * A control message: 9 x 0x05, 0x01, text ("REQ,STA,MSR,"), 0x1C, 0x03.
 * Planes are 672 x 1016 dots; B/G/R carry Y/M/C: natively 6 bit-planes of 84-byte rows per dot
 * row (lowest bit first), or 8 bits per dot with ",X-GP-8" (the form Gutenprint sends); K is 1 bit.
 * The 648-dot card occupies dots 0..647 of each row; 648..671 stay blank.
 * A duplex card is two jobs, PAG1 (front) and PAG2 (back).
 */
#include <stdlib.h>

#include "cetak_internal.h"

#define GUARD_JOB 64
#define MAX_HEADER 2048
#define ROW_BYTES (CETAK_MAGICARD_W / 8)              /* 84 */
#define PLANE_6BIT ((size_t)CETAK_PANEL_LINES * ROW_BYTES * 6) /* 512064 */
#define PLANE_8BIT ((size_t)CETAK_PANEL_LINES * CETAK_MAGICARD_W) /* 682752 */
#define PLANE_K ((size_t)CETAK_PANEL_LINES * ROW_BYTES)    /* 85344 */

static const char PLANE_LETTERS[4] = {'B', 'G', 'R', 'K'};

/* ---- encoder ---- */
static size_t side_max(void) {
    return GUARD_JOB + 2 + CETAK_MAGICARD_HEADER_MAX + 3 * (PLANE_8BIT + 3) + PLANE_K + 3 + 1;
}

size_t cetak_magicard_max_size(const cetak_job_opts *opts, int duplex) {
    (void)opts;
    return side_max() * (duplex ? 2 : 1);
}

static void back_format(int panels, char *out) {
    size_t n = 0;
    if (panels & (CETAK_P_Y | CETAK_P_M | CETAK_P_C)) out[n++] = 'C';
    if (panels & CETAK_P_K) out[n++] = 'K';
    if (panels & CETAK_P_O) out[n++] = 'O';
    out[n] = 0;
}

int cetak__magicard_header(char *head, size_t cap, size_t *len, int panels, int page, int duplex,
                           int back_panels, int eight, cetak_error *err) {
    const int colour = (panels & 7) != 0, black = (panels & CETAK_P_K) != 0;
    const size_t cplane = eight ? PLANE_8BIT : PLANE_6BIT;
    char bac[8] = "";
    size_t h = 0;
    int b, rc;
    if (!head || !len) return cetak__fail(err, CETAK_E_ARG, 0, "null header buffer");
    *len = 0;
    if (page == 1 && duplex) {
        back_format(back_panels, bac + 4);
        memcpy(bac, ",BAC", 4);
    }
    rc = cetak__appendf(head, cap, &h,
                        ",NOC1,REJOFF,ESS1,DPX%s,PAG%d%s,SLWOFF,IMF%s,XCO0,YCO0,WID%d,HGT%d,OVR%s%s",
                        duplex ? "ON" : "OFF", page, bac,
                        colour ? (black ? "BGRK" : "BGR") : "K", CETAK_EVOLIS_W, CETAK_PANEL_LINES,
                        (panels & CETAK_P_O) ? "ON" : "OFF", eight && colour ? ",X-GP-8" : "");
    for (b = 0; rc == CETAK_OK && colour && b < 3; b++)
        rc = cetak__appendf(head, cap, &h, ",SZ%c%zu", PLANE_LETTERS[b], cplane);
    if (rc == CETAK_OK && black) rc = cetak__appendf(head, cap, &h, ",SZK%zu", PLANE_K);
    if (rc != CETAK_OK)
        return cetak__fail(err, CETAK_E_LIMIT, 0,
                           "magicard job header would be longer than %zu bytes", cap ? cap - 1 : 0);
    *len = h;
    return CETAK_OK;
}

static int encode_side(uint8_t *out, size_t cap, size_t *used, const cetak_side *side, int panels,
                       int page, int duplex, int back_panels, const cetak_luts *luts,
                       int scalar_only, uint8_t *planes, cetak_error *err) {
    const int colour = (panels & 7) != 0, black = (panels & CETAK_P_K) != 0;
    const int eight = luts->bits == 8;
    const size_t cplane = eight ? PLANE_8BIT : PLANE_6BIT;
    char head[CETAK_MAGICARD_HEADER_MAX];
    size_t h = 0, total, base[4] = {0, 0, 0, 0}, pos;
    const int simd = cetak__use_simd(scalar_only);
    int b, p, rc;
    size_t row;
    if (colour && (panels & 7) != 7)
        return cetak__fail(err, CETAK_E_ARG, 0, "magicard prints Y, M and C together or not at all");
    if (!colour && !black)
        return cetak__fail(err, CETAK_E_ARG, 0, "magicard side needs colour or black panels");
    rc = cetak__magicard_header(head, sizeof head, &h, panels, page, duplex, back_panels, eight,
                                err);
    if (rc != CETAK_OK) return rc;

    total = GUARD_JOB + 1 + h + 1 + (colour ? 3 * (cplane + 3) : 0) + (black ? PLANE_K + 3 : 0) + 1;
    if (total > cap) return cetak__fail(err, CETAK_E_SPACE, 0, "output buffer too small");
    memset(out, 0x05, GUARD_JOB);
    out[GUARD_JOB] = 0x01;
    memcpy(out + GUARD_JOB + 1, head, h);
    pos = GUARD_JOB + 1 + h;
    out[pos++] = 0x1C;
    for (b = 0; b < 4; b++) {
        if (b < 3 ? !colour : !black) continue;
        base[b] = pos;
        pos += b < 3 ? cplane : PLANE_K;
        out[pos++] = 0x1C;
        out[pos++] = (uint8_t)PLANE_LETTERS[b];
        out[pos++] = 0x3A;
    }
    out[pos++] = 0x03;

    cetak__side_planes(side, luts, scalar_only, planes, planes + 5 * CETAK_PLANE);
    for (p = 0; colour && p < 3; p++) {
        const uint8_t *plane = planes + (size_t)p * CETAK_PLANE;
        for (row = 0; row < CETAK_PANEL_LINES; row++) {
            const uint8_t *d = plane + row * CETAK_EVOLIS_W;
            if (eight) {
                uint8_t *o = out + base[p] + row * CETAK_MAGICARD_W;
                memcpy(o, d, CETAK_EVOLIS_W);
                memset(o + CETAK_EVOLIS_W, 0, CETAK_MAGICARD_W - CETAK_EVOLIS_W);
            } else {
                uint8_t *o = out + base[p] + row * ROW_BYTES * 6;
                cetak__pack_line(d, 6, o, ROW_BYTES, simd);
                for (b = 0; b < 6; b++)
                    memset(o + (size_t)b * ROW_BYTES + CETAK_EVOLIS_W / 8, 0,
                           ROW_BYTES - CETAK_EVOLIS_W / 8);
            }
        }
    }
    if (black) {
        const uint8_t *plane = planes + 3 * CETAK_PLANE;
        for (row = 0; row < CETAK_PANEL_LINES; row++) {
            uint8_t *o = out + base[3] + row * ROW_BYTES;
            cetak__pack_line(plane + row * CETAK_EVOLIS_W, 1, o, ROW_BYTES, simd);
            memset(o + CETAK_EVOLIS_W / 8, 0, ROW_BYTES - CETAK_EVOLIS_W / 8);
        }
    }
    *used = total;
    return CETAK_OK;
}

int cetak_magicard_encode(const cetak_side *front, const cetak_side *back,
                          const cetak_job_opts *opts, uint8_t *work, size_t work_len,
                          uint8_t *out, size_t cap, size_t *out_len, cetak_error *err) {
    cetak_luts luts;
    size_t a = 0, bsz = 0;
    uint8_t *planes;
    int rc;
    if (!out || !out_len) return cetak__fail(err, CETAK_E_ARG, 0, "null output");
    *out_len = 0;
    if ((rc = cetak__make_luts(opts, &luts, err)) != CETAK_OK) return rc;
    if (luts.bits != 6 && luts.bits != 8)
        return cetak__fail(err, CETAK_E_ARG, 0,
                           "magicard takes 64 levels (bit-planes) or 256 (X-GP-8), not %d",
                           opts->levels);
    if (opts->contactless)
        return cetak__fail(err, CETAK_E_ARG, 0,
                           "the magicard stream has no contactless-station command");
    if ((rc = cetak__check_side(front, "front", err)) != CETAK_OK) return rc;
    if (back && (rc = cetak__check_side(back, "back", err)) != CETAK_OK) return rc;
    if ((opts->front_panels & ~31) || (back && (opts->back_panels & ~31)))
        return cetak__fail(err, CETAK_E_ARG, 0, "unknown panel bits");
    if (!work || work_len < 5 * CETAK_PLANE + CETAK_SIDE_WORK) /* panels + their work area */
        return cetak__fail(err, CETAK_E_SPACE, 0, "work area must be %zu bytes",
                           cetak_encode_work_size(opts));
    planes = work;
    rc = encode_side(out, cap, &a, front, opts->front_panels, 1, back != NULL, opts->back_panels,
                     &luts, opts->scalar_only, planes, err);
    if (rc == CETAK_OK && back)
        rc = encode_side(out + a, cap - a, &bsz, back, opts->back_panels, 2, 1, 0, &luts,
                         opts->scalar_only, planes, err);
    if (rc != CETAK_OK) return rc;
    *out_len = a + bsz;
    return CETAK_OK;
}

/* ---- framing ---- */
typedef struct {
    size_t guard;          /* count of 0x05 */
    size_t text_off;       /* header text, after 0x01 */
    size_t text_len;
    int n_planes;
    char letters[4];
    size_t sizes[4];
    size_t plane_off[4];   /* from the unit start */
    size_t end_off;        /* of the 0x03 */
} mc_unit;

static int parse_sz(const uint8_t *s, size_t n, size_t *v) {
    size_t i, acc = 0;
    if (n == 0 || n > 7) return 0;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        acc = acc * 10 + (size_t)(s[i] - '0');
    }
    *v = acc;
    return 1;
}

static int mc_frame(const uint8_t *b, size_t len, size_t abs, size_t *ulen, mc_unit *u,
                    cetak_error *err) {
    size_t i = 0, j, tok, pos;
    int k;
    *ulen = 0;
    memset(u, 0, sizeof *u);
    while (i < len && b[i] == 0x05) {
        if (++i > GUARD_JOB)
            return cetak__fail(err, CETAK_E_SYNTAX, abs, "more than 64 guard bytes (0x05)");
    }
    if (i == 0)
        return cetak__fail(err, CETAK_E_SYNTAX, abs, "expected 0x05 at the start of a job, found 0x%02X",
                           b[0]);
    if (i >= len) return CETAK_OK;
    if (b[i] != 0x01)
        return cetak__fail(err, CETAK_E_SYNTAX, abs + i, "expected 0x01 after the guard bytes, found 0x%02X",
                           b[i]);
    u->guard = i;
    u->text_off = ++i;
    for (; i < len && b[i] != 0x1C; i++) {
        if (b[i] < 0x20 || b[i] > 0x7E)
            return cetak__fail(err, CETAK_E_SYNTAX, abs + i, "byte 0x%02X inside the header", b[i]);
        if (i - u->text_off > MAX_HEADER)
            return cetak__fail(err, CETAK_E_SYNTAX, abs, "header longer than %d bytes", MAX_HEADER);
    }
    if (i >= len) return CETAK_OK;
    u->text_len = i - u->text_off;
    /* plane sizes, in the order of the SZ tokens */
    for (tok = u->text_off; tok < i;) {
        size_t e = tok;
        while (e < i && b[e] != ',') e++;
        if (e - tok >= 3 && b[tok] == 'S' && b[tok + 1] == 'Z' && e - tok >= 4) {
            const char letter = (char)b[tok + 2];
            size_t v = 0;
            if (!strchr("BGRK", letter))
                return cetak__fail(err, CETAK_E_SYNTAX, abs + tok, "unknown plane SZ%c", letter);
            if (!parse_sz(b + tok + 3, e - tok - 3, &v))
                return cetak__fail(err, CETAK_E_SYNTAX, abs + tok, "plane length must be a number");
            if (v > PLANE_8BIT)
                return cetak__fail(err, CETAK_E_LENGTH, abs + tok,
                                   "plane length %zu is larger than any plane", v);
            for (k = 0; k < u->n_planes; k++)
                if (u->letters[k] == letter)
                    return cetak__fail(err, CETAK_E_SYNTAX, abs + tok, "plane %c named twice", letter);
            u->letters[u->n_planes] = letter;
            u->sizes[u->n_planes++] = v;
        }
        tok = e + 1;
    }
    pos = i + 1;
    for (k = 0; k < u->n_planes; k++) {
        u->plane_off[k] = pos;
        if (len - pos < u->sizes[k] + 3) return CETAK_OK;
        pos += u->sizes[k];
        if (b[pos] != 0x1C || b[pos + 1] != (uint8_t)u->letters[k] || b[pos + 2] != 0x3A)
            return cetak__fail(err, CETAK_E_LENGTH, abs + pos,
                               "plane %c (SZ%c%zu) is not followed by its terminator 1C %02X 3A: "
                               "its length field is wrong", u->letters[k], u->letters[k],
                               u->sizes[k], (unsigned)u->letters[k]);
        pos += 3;
    }
    if (pos >= len) return CETAK_OK;
    if (b[pos] != 0x03)
        return cetak__fail(err, CETAK_E_SYNTAX, abs + pos, "expected 0x03 at the end of the job, found 0x%02X",
                           b[pos]);
    u->end_off = pos;
    j = pos + 1;
    *ulen = j;
    return CETAK_OK;
}

int cetak_magicard_frame(const uint8_t *buf, size_t len, size_t *unit_len, cetak_error *err) {
    mc_unit u;
    if (!unit_len || (!buf && len)) return cetak__fail(err, CETAK_E_ARG, 0, "null buffer");
    if (len == 0) {
        *unit_len = 0;
        return CETAK_OK;
    }
    return mc_frame(buf, len, 0, unit_len, &u, err);
}

/* ---- decoder ---- */
static const char *const KNOWN[] = {
    "BAC", "BPI", "CKI", "COE", "CPW", "DDD", "DPX", "EOI", "ESS", "HGT", "HKM", "HKT", "HPH",
    "ICC", "IMF", "KEE", "KPW", "LAN", "LC",  "MAG", "MPC", "NCT", "NNN", "NOC", "OPW", "OVR",
    "PAG", "PAT", "PCT", "REJ", "RT",  "SLW", "SOI", "SZB", "SZG", "SZK", "SZR", "TDT", "TRO",
    "USF", "VER", "WID", "XCO", "YCO", "X-GP-8", "X-GP-RK", NULL};

/* Length of the known token name that starts s (the longest), 0 if none: names are followed
 * directly by their value ("REJOFF", "SZB512064", "LC1"), so they are matched as prefixes. */
static size_t known_name(const uint8_t *s, size_t n) {
    size_t best = 0;
    int i;
    for (i = 0; KNOWN[i]; i++) {
        const size_t k = strlen(KNOWN[i]);
        if (k <= n && k > best && memcmp(KNOWN[i], s, k) == 0) best = k;
    }
    return best;
}

static int add_cmd(cetak_cmd *cmds, size_t cap, size_t *nc, int kind, size_t off, size_t toff,
                   size_t tlen, size_t nlen, cetak_error *err) {
    if (*nc >= CETAK_MAX_COMMANDS)
        return cetak__fail(err, CETAK_E_COMMANDS, off,
                           "more than %d commands in one stream; at most %d are decoded",
                           CETAK_MAX_COMMANDS, CETAK_MAX_COMMANDS);
    if (cmds) {
        if (*nc >= cap) return cetak__fail(err, CETAK_E_SPACE, off, "command array full");
        cmds[*nc].kind = kind;
        cmds[*nc].offset = off;
        cmds[*nc].text_off = toff;
        cmds[*nc].text_len = tlen;
        cmds[*nc].name_len = nlen;
    }
    (*nc)++;
    return CETAK_OK;
}

int cetak__magicard_walk(const uint8_t *data, size_t len, cetak_cmd *cmds, size_t cmd_cap,
                         size_t *n_cmds, cetak_panel *panels, size_t panel_cap, size_t *n_panels,
                         uint8_t *dots, size_t dots_cap, cetak_error *err) {
    const size_t plane = (size_t)CETAK_PANEL_LINES * CETAK_MAGICARD_W;
    size_t pos = 0, nc = 0, np = 0;
    int rc;
    while (pos < len) {
        mc_unit u;
        size_t ulen, t, a, e;
        const uint8_t *b = data + pos;
        int side = 0, eight = 0, k, is_job;
        if ((rc = mc_frame(b, len - pos, pos, &ulen, &u, err)) != CETAK_OK) return rc;
        if (ulen == 0)
            return cetak__fail(err, CETAK_E_TRUNCATED, pos,
                               "stream ends inside the job starting at offset %zu", pos);
        is_job = u.n_planes > 0 || (u.text_len > 0 && b[u.text_off] == ',');
        if (!is_job) {
            if ((rc = add_cmd(cmds, cmd_cap, &nc, CETAK_CMD_CONTROL, pos, pos + u.text_off,
                              u.text_len, 0, err)) != CETAK_OK)
                return rc;
            pos += ulen;
            continue;
        }
        if ((rc = add_cmd(cmds, cmd_cap, &nc, CETAK_CMD_JOB, pos, pos, 0, 0, err)) != CETAK_OK)
            return rc;
        /* tokens; a token starting with a digit continues the previous one (NCT x0,y0,x1,y1) */
        t = u.text_off + 1;
        while (t < u.text_off + u.text_len) {
            size_t nl;
            e = t;
            while (e < u.text_off + u.text_len && b[e] != ',') e++;
            a = e;
            while (a < u.text_off + u.text_len && a + 1 < u.text_off + u.text_len &&
                   b[a] == ',' && b[a + 1] >= '0' && b[a + 1] <= '9') {
                a++;
                while (a < u.text_off + u.text_len && b[a] != ',') a++;
            }
            if (e == t)
                return cetak__fail(err, CETAK_E_SYNTAX, pos + t, "empty header token");
            nl = known_name(b + t, e - t);
            if (nl == 0)
                return cetak__fail(err, CETAK_E_UNKNOWN, pos + t, "unknown Magicard token '%.*s'",
                                   (int)(e - t), (const char *)(b + t));
            if (nl == 3 && memcmp(b + t, "PAG", 3) == 0 && e - t == 4 && b[t + 3] == '2') side = 1;
            if (e - t == 6 && memcmp(b + t, "X-GP-8", 6) == 0) eight = 1;
            if ((rc = add_cmd(cmds, cmd_cap, &nc, CETAK_CMD_TEXT, pos + t, pos + t, a - t, nl, err)) !=
                CETAK_OK)
                return rc;
            t = a + 1;
        }
        for (k = 0; k < u.n_planes; k++) {
            const char letter = u.letters[k];
            const size_t want = letter == 'K' ? PLANE_K : eight ? PLANE_8BIT : PLANE_6BIT;
            const uint8_t *src = b + u.plane_off[k];
            if (u.sizes[k] != want)
                return cetak__fail(err, CETAK_E_LENGTH, pos + u.text_off,
                                   "SZ%c%zu: a %s plane is %zu bytes", letter, u.sizes[k],
                                   letter == 'K' ? "1-bit" : eight ? "8-bit" : "6-bit", want);
            if ((rc = add_cmd(cmds, cmd_cap, &nc, CETAK_CMD_PLANE, pos + u.plane_off[k] + u.sizes[k],
                              pos + u.plane_off[k] + u.sizes[k] + 1, 1, 1, err)) != CETAK_OK)
                return rc;
            if (panels) {
                cetak_panel *pp;
                uint8_t *d;
                size_t r, i, printed = 0;
                /* checked before any pointer into the arrays is formed */
                if (np >= panel_cap || (np + 1) * plane > dots_cap)
                    return cetak__fail(err, CETAK_E_SPACE, pos, "panel array full");
                pp = panels + np;
                d = dots + np * plane;
                for (r = 0; r < CETAK_PANEL_LINES; r++) {
                    uint8_t *row = d + r * CETAK_MAGICARD_W;
                    if (letter == 'K') {
                        for (i = 0; i < CETAK_MAGICARD_W; i++)
                            row[i] = (src[r * ROW_BYTES + i / 8] >> (7 - i % 8)) & 1;
                    } else if (eight) {
                        memcpy(row, src + r * CETAK_MAGICARD_W, CETAK_MAGICARD_W);
                    } else {
                        int bit;
                        memset(row, 0, CETAK_MAGICARD_W);
                        for (bit = 0; bit < 6; bit++) {
                            const uint8_t *s = src + r * ROW_BYTES * 6 + (size_t)bit * ROW_BYTES;
                            for (i = 0; i < CETAK_MAGICARD_W; i++)
                                row[i] |= (uint8_t)(((s[i / 8] >> (7 - i % 8)) & 1) << bit);
                        }
                    }
                }
                for (i = 0; i < plane; i++) printed += d[i] != 0;
                pp->side = side;
                pp->panel = letter == 'B' ? 'y' : letter == 'G' ? 'm' : letter == 'R' ? 'c' : 'k';
                pp->levels = letter == 'K' ? 2 : eight ? 256 : 64;
                pp->width = CETAK_MAGICARD_W;
                pp->height = CETAK_PANEL_LINES;
                pp->dots_off = np * plane;
                pp->dots_printed = printed;
            }
            np++;
        }
        if ((rc = add_cmd(cmds, cmd_cap, &nc, CETAK_CMD_END, pos + u.end_off, pos + u.end_off, 0,
                          0, err)) != CETAK_OK)
            return rc;
        pos += ulen;
    }
    *n_cmds = nc;
    *n_panels = np;
    return CETAK_OK;
}
