/* Stand-alone driver for fuzz_native.c when libFuzzer is not available (gcc): runs the
 * hand-made checks of spots that were once fragile, every file named on the command line, then
 * `iterations` random mutations of them (seeded, repeatable), and a self-check of both encoders
 * on random cards (encode, decode, compare panels).
 *   driver [-n iterations] [-s seed] [-e] files...      (-e: skip the encoder self-check)
 *   driver -t check                                     (only that hand-made check; see CHECKS)
 * Exit status 0 = no finding; sanitizers abort on their own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cetak_core.h"
#include "cetak_internal.h" /* cetak__appendf and cetak__magicard_header, checked directly */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t next_rand(void) { /* xorshift64*: deterministic across platforms */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

static uint8_t *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long n;
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc(n > 0 ? (size_t)n : 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void mutate_and_run(const uint8_t *seed, size_t len) {
    const size_t extra = 16;
    uint8_t *buf = malloc(len + extra);
    size_t n = len, k, edits = 1 + next_rand() % 8;
    if (!buf) return;
    memcpy(buf, seed, len);
    for (k = 0; k < edits && n > 0; k++) {
        const size_t window = n < 4096 ? n : 4096; /* headers hold most of the checks */
        const size_t pos = (next_rand() % 4 ? next_rand() % window : next_rand() % n);
        switch (next_rand() % 5) {
        case 0: buf[pos] = (uint8_t)next_rand(); break;
        case 1: buf[pos] ^= (uint8_t)(1u << (next_rand() % 8)); break;
        case 2: n = pos; break; /* truncate */
        case 3: buf[pos] = (uint8_t)("0123456789;\r\x1b\x05\x1c\x03,"[next_rand() % 16]); break;
        default:
            if (n + 1 <= len + extra) {
                memmove(buf + pos + 1, buf + pos, n - pos);
                buf[pos] = (uint8_t)next_rand();
                n++;
            }
        }
    }
    /* a copy of exactly n bytes, so reading one past the end is caught */
    {
        uint8_t *exact = malloc(n ? n : 1);
        if (exact) {
            memcpy(exact, buf, n);
            LLVMFuzzerTestOneInput(exact, n);
            free(exact);
        }
    }
    free(buf);
}

static int encoder_self_check(uint8_t **streams, size_t *lens) {
    const size_t px = (size_t)CETAK_CARD_W * CETAK_CARD_H;
    uint8_t *rgb = malloc(px * 3), *k = malloc(px), *o = malloc(px), *work, *out;
    cetak_side side;
    cetak_job_opts opts;
    cetak_error err;
    size_t i, len = 0, chip = 0, cap;
    int dialect, rc, pass;
    if (!rgb || !k || !o) return 1;
    for (i = 0; i < px * 3; i++) rgb[i] = (uint8_t)(i % 97 < 40 ? 200 : next_rand());
    for (i = 0; i < px; i++) {
        k[i] = next_rand() % 16 == 0;
        o[i] = next_rand() % 2;
    }
    side.rgb = rgb; side.rgb_len = px * 3; side.k_mask = k; side.k_len = px;
    side.o_mask = o; side.o_len = px;
    memset(&opts, 0, sizeof opts);
    opts.levels = 64; opts.compress = 1; opts.contactless = 1; opts.ribbon = "ymcko";
    opts.front_panels = 31; opts.back_panels = 31;
    work = malloc(cetak_encode_work_size(&opts));
    for (pass = 0; pass < 4; pass++) { /* both dialects, SIMD and scalar paths */
        dialect = pass % 2;
        opts.scalar_only = pass / 2;
        opts.contactless = dialect == 0;
        cap = dialect == 0 ? cetak_evolis_max_size(&opts, 1) : cetak_magicard_max_size(&opts, 1);
        out = malloc(cap);
        if (!work || !out) return 1;
        rc = dialect == 0 ? cetak_evolis_encode(&side, &side, &opts, work, cetak_encode_work_size(&opts),
                                                out, cap, &len, &chip, &err)
                          : cetak_magicard_encode(&side, &side, &opts, work, cetak_encode_work_size(&opts),
                                                  out, cap, &len, &err);
        if (rc != CETAK_OK) {
            fprintf(stderr, "encode failed: %s\n", err.message);
            return 1;
        }
        LLVMFuzzerTestOneInput(out, len);
        if (pass < 2) {
            streams[dialect] = realloc(out, len);
            lens[dialect] = len;
        } else {
            free(out);
        }
    }
    free(work);
    free(rgb);
    free(k);
    free(o);
    return 0;
}

/* A nested BER-TLV sample (an ICAO-like data group), so mutations exercise the TLV decoder. */
static uint8_t *tlv_seed(size_t *len) {
    static const uint8_t values[] = "I<IDN3276011708900001<<<<<<<<<<<<\x01\x02\x03";
    const cetak_tlv_in nodes[] = {
        {0x61, 2, 0, 0},   {0x5F1F, -1, 0, 30}, {0x7F61, 2, 0, 0},
        {0x02, -1, 30, 1}, {0x5F2E, -1, 0, 33},
    };
    cetak_error err;
    uint8_t *out;
    if (cetak_tlv_encode(nodes, 5, values, sizeof values - 1, NULL, 0, len, &err) != CETAK_OK)
        return NULL;
    out = malloc(*len);
    if (out && cetak_tlv_encode(nodes, 5, values, sizeof values - 1, out, *len, len, &err) != CETAK_OK) {
        free(out);
        return NULL;
    }
    return out;
}

/* ---- hand-made checks: each fails here, or under the sanitizers, if the fix it guards is
 * undone. Buffers are malloc'd to exactly the size handed over, so ASan sees a byte past it. */

static int finding(const char *check, const char *what) {
    fprintf(stderr, "%s: %s\n", check, what);
    return 1;
}

/* Text appended piece by piece never runs past its buffer: the Magicard job header (once built
 * with `h += snprintf(head + h, sizeof head - h, ...)`, which wraps once h passes the size and
 * lets the next write and the memcpy after it overrun) into buffers of every size up to the one
 * it needs: too small is CETAK_E_LIMIT, nothing written past the buffer. */
static int check_header(void) {
    static const struct {
        int panels, page, duplex, back, eight;
    } cases[] = {{31, 1, 1, 31, 1}, {15, 1, 1, 8, 0}, {8, 2, 1, 0, 0}, {7, 1, 0, 0, 1}};
    char full[CETAK_MAGICARD_HEADER_MAX], small[8];
    cetak_error err;
    size_t k, cap, need, len;
    for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        need = 0;
        if (cetak__magicard_header(full, sizeof full, &need, cases[k].panels, cases[k].page,
                                   cases[k].duplex, cases[k].back, cases[k].eight, &err) != CETAK_OK ||
            need < 40 || full[need] != 0)
            return finding("header", "the header does not build in its own buffer");
        for (cap = 0; cap <= need + 1; cap++) {
            char *buf = malloc(cap);
            int rc;
            if (!buf && cap) return finding("header", "out of memory");
            if (!buf) continue; /* malloc(0) may give NULL: nothing to hand over */
            len = 12345;
            rc = cetak__magicard_header(buf, cap, &len, cases[k].panels, cases[k].page,
                                        cases[k].duplex, cases[k].back, cases[k].eight, &err);
            if (cap <= need && (rc != CETAK_E_LIMIT || len != 0 || err.code != CETAK_E_LIMIT)) {
                free(buf);
                return finding("header", "a header longer than its buffer is not CETAK_E_LIMIT");
            }
            if (cap > need && (rc != CETAK_OK || len != need || memcmp(buf, full, need + 1))) {
                free(buf);
                return finding("header", "a header that fits is not the same text");
            }
            free(buf);
        }
    }
    /* the helper itself: all or nothing, the length never past the buffer */
    len = 0;
    if (cetak__appendf(small, sizeof small, &len, "%s", "abcd") != CETAK_OK || len != 4 ||
        cetak__appendf(small, sizeof small, &len, "%s", "efgh") != CETAK_E_LIMIT || len != 4 ||
        strcmp(small, "abcd") != 0 ||
        cetak__appendf(small, sizeof small, &len, "%d", 567) != CETAK_OK || len != 7 ||
        cetak__appendf(small, sizeof small, &len, "%s", "") != CETAK_OK || len != 7 ||
        cetak__appendf(small, sizeof small, &len, "%s", "x") != CETAK_E_LIMIT || len != 7 ||
        strcmp(small, "abcd567") != 0)
        return finding("header", "cetak__appendf is not all-or-nothing");
    len = 9; /* a length already past the buffer is refused, not subtracted */
    if (cetak__appendf(small, sizeof small, &len, "%s", "") != CETAK_E_LIMIT || len != 9)
        return finding("header", "cetak__appendf accepts a length past its buffer");
    return 0;
}

/* The PRR fast path on a row born in year 0 with earliest_year 0: the person key once shifted a
 * negative ordinal left (undefined; UBSan stops here). Year 0 is no date to the Python rules,
 * so the row is left to them; year 1 is taken, its key's high half the ordinal 1. */
static int check_year_zero(void) {
    static const uint64_t kec[] = {327601};
    static const uint64_t kel[] = {3276011007ULL};
    const cetak_prr_rules rules = {kec, 1, kel, 1, 20250601, 0, 60, 40, 100, 40};
    static const char *const rows[2][2] = {{"3276010101000001", "0000-01-01"},
                                           {"3276010101010001", "0001-01-01"}};
    cetak_error err;
    int r;
    for (r = 0; r < 2; r++) {
        char text[512];
        size_t len = 0;
        uint8_t *batch;
        int32_t kel_out = -2;
        int64_t nik = 0, key = 0;
        int rc;
        if (cetak__appendf(text, sizeof text, &len,
                           "%s\x1f" "Budi Santoso\x1f" "Depok\x1f" "%s\x1f" "LAKI-LAKI\x1f" "O\x1f"
                           "Jl. Margonda Raya No. 100\x1f" "7\x1f" "007\x1f" "32.76.01.1007\x1f"
                           "ISLAM\x1f" "BELUM KAWIN\x1f" "KARYAWAN SWASTA\x1f" "WNI\x1f" "BARU\x1f"
                           "\x1f" "PRR\x1f" "foto/p000.jpg\x1f" "ttd/s000.png\x1e",
                           rows[r][0], rows[r][1]) != CETAK_OK)
            return finding("year-zero", "row does not fit");
        batch = malloc(len);
        if (!batch) return finding("year-zero", "out of memory");
        memcpy(batch, text, len);
        rc = cetak_prr_check(batch, len, 1, &rules, &kel_out, &nik, &key, &err);
        free(batch);
        if (rc != CETAK_OK) return finding("year-zero", "the batch is refused");
        if (r == 0 && kel_out != -1) return finding("year-zero", "a year-0 birth date is taken");
        if (r == 1 && (kel_out != 0 || (key >> 32) != 1))
            return finding("year-zero", "a year-1 birth date is not taken with ordinal 1");
    }
    return 0;
}

/* Both passes of the decoder with a stream as the caller sized it, in arrays malloc'd to size:
 * exact arrays decode; one command, one panel or one dot short is CETAK_E_SPACE and no write
 * past the array (the walks once formed &panels[np] before checking np against the array). */
static int decode_sized(const uint8_t *data, size_t len, const char *what) {
    size_t n_cmds = 0, n_panels = 0, dots_len = 0, short_by;
    int dialect = 0;
    cetak_error err;
    if (cetak_scan(data, len, &dialect, &n_cmds, &n_panels, &dots_len, &err) != CETAK_OK ||
        !n_cmds || !n_panels || !dots_len)
        return finding("decode-arrays", what);
    for (short_by = 0; short_by < 4; short_by++) { /* 0: exact; 1, 2, 3: cmds, panels, dots */
        const size_t cc = n_cmds - (short_by == 1), pc = n_panels - (short_by == 2),
                     dc = dots_len - (short_by == 3);
        cetak_cmd *cmds = malloc(cc * sizeof *cmds + (cc == 0));
        cetak_panel *panels = malloc(pc * sizeof *panels + (pc == 0));
        uint8_t *dots = malloc(dc);
        size_t nc = 0, np = 0;
        int rc = -100;
        if (cmds && panels && dots)
            rc = cetak_decode(data, len, cmds, cc, &nc, panels, pc, &np, dots, dc, &err);
        free(cmds);
        free(panels);
        free(dots);
        if (rc != (short_by ? CETAK_E_SPACE : CETAK_OK)) return finding("decode-arrays", what);
        if (!short_by && (nc != n_cmds || np != n_panels)) return finding("decode-arrays", what);
    }
    return 0;
}

static int check_decode_arrays(void) {
    const size_t plane = (size_t)CETAK_PANEL_LINES * 84;
    static const char ev_head[] = "\x1bSs\r";
    static const char ev_dl[] = "\x1b" "Dbc;k;2;1016;";
    static const char mc_head[] = ",NOC1,PAG1,SZK85344";
    const size_t ev_len = 4 + 2 * (14 + 1016 + 1), mc_len = 64 + 1 + 19 + 1 + plane + 3 + 1;
    uint8_t *ev = calloc(1, ev_len), *mc = calloc(1, mc_len);
    size_t pos = 0, k;
    int bad;
    if (!ev || !mc) return finding("decode-arrays", "out of memory");
    memcpy(ev, ev_head, 4); /* Ss, then two blank 1-bit downloads */
    for (pos = 4, k = 0; k < 2; k++) {
        memcpy(ev + pos, ev_dl, 14);
        pos += 14 + 1016; /* 1016 lines of 0x00: each line blank */
        ev[pos++] = '\r';
    }
    memset(mc, 0x05, 64); /* one job with one blank K plane */
    mc[64] = 0x01;
    memcpy(mc + 65, mc_head, 19);
    mc[84] = 0x1C;
    pos = 85 + plane;
    mc[pos++] = 0x1C;
    mc[pos++] = 'K';
    mc[pos++] = 0x3A;
    mc[pos++] = 0x03;
    bad = decode_sized(ev, ev_len, "evolis stream") || decode_sized(mc, mc_len, "magicard stream");
    free(ev);
    free(mc);
    return bad;
}

/* A stream of tiny commands is refused past CETAK_MAX_COMMANDS by both passes, with
 * CETAK_E_COMMANDS at the first command over: Evolis ESC "Ss" CR, Magicard control messages. */
static int many(const uint8_t *unit, size_t unit_len, const char *what) {
    size_t count, k, n_cmds, n_panels, dots_len;
    for (count = CETAK_MAX_COMMANDS; count <= CETAK_MAX_COMMANDS + 1; count++) {
        const size_t len = count * unit_len;
        uint8_t *data = malloc(len);
        cetak_cmd *cmds = malloc((CETAK_MAX_COMMANDS + 1) * sizeof *cmds);
        cetak_panel panel;
        cetak_error err;
        int dialect, scan, dec = -100;
        if (!data || !cmds) return finding("many-commands", "out of memory");
        for (k = 0; k < count; k++) memcpy(data + k * unit_len, unit, unit_len);
        scan = cetak_scan(data, len, &dialect, &n_cmds, &n_panels, &dots_len, &err);
        if (count > CETAK_MAX_COMMANDS && scan == CETAK_E_COMMANDS &&
            err.offset != CETAK_MAX_COMMANDS * unit_len)
            scan = -101;
        dec = cetak_decode(data, len, cmds, CETAK_MAX_COMMANDS + 1, &n_cmds, &panel, 1, &n_panels,
                           NULL, 0, &err);
        free(data);
        free(cmds);
        if (count == CETAK_MAX_COMMANDS ? scan != CETAK_OK || dec != CETAK_OK || n_cmds != count
                                        : scan != CETAK_E_COMMANDS || dec != CETAK_E_COMMANDS)
            return finding("many-commands", what);
    }
    return 0;
}

static int check_many_commands(void) {
    static const uint8_t ev[] = "\x1bSs\r";
    static const uint8_t mc[] = "\x05\x05\x05\x05\x05\x05\x05\x05\x05\x01REQ,STA\x1c\x03";
    return many(ev, sizeof ev - 1, "evolis Ss commands") ||
           many(mc, sizeof mc - 1, "magicard control messages");
}

static const struct {
    const char *name;
    int (*run)(void);
} CHECKS[] = {{"header", check_header},
              {"year-zero", check_year_zero},
              {"decode-arrays", check_decode_arrays},
              {"many-commands", check_many_commands}};
#define N_CHECKS ((int)(sizeof CHECKS / sizeof CHECKS[0]))

int main(int argc, char **argv) {
    long iterations = 1000;
    int i, encoders = 1, n_seeds = 0;
    uint8_t *seeds[64];
    size_t lens[64];
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-n") && i + 1 < argc) {
            iterations = atol(argv[++i]);
        } else if (!strcmp(argv[i], "-s") && i + 1 < argc) {
            rng_state ^= (uint64_t)atoll(argv[++i]) * 0x9E3779B97F4A7C15ULL;
        } else if (!strcmp(argv[i], "-e")) {
            encoders = 0;
        } else if (!strcmp(argv[i], "-t") && i + 1 < argc) {
            const char *name = argv[++i];
            int c;
            for (c = 0; c < N_CHECKS; c++)
                if (!strcmp(CHECKS[c].name, name)) {
                    if (CHECKS[c].run()) return 1;
                    printf("ok: check %s\n", name);
                    return 0;
                }
            fprintf(stderr, "no check named %s\n", name);
            return 2;
        } else if (n_seeds < 60) {
            seeds[n_seeds] = read_file(argv[i], &lens[n_seeds]);
            if (!seeds[n_seeds]) {
                fprintf(stderr, "cannot read %s\n", argv[i]);
                return 2;
            }
            LLVMFuzzerTestOneInput(seeds[n_seeds], lens[n_seeds]);
            n_seeds++;
        }
    }
    for (i = 0; i < N_CHECKS; i++)
        if (CHECKS[i].run()) return 1;
    if (encoders) {
        if (encoder_self_check(seeds + n_seeds, lens + n_seeds)) return 1;
        n_seeds += 2;
    }
    seeds[n_seeds] = tlv_seed(&lens[n_seeds]);
    if (!seeds[n_seeds]) {
        fprintf(stderr, "cannot build the TLV seed\n");
        return 1;
    }
    LLVMFuzzerTestOneInput(seeds[n_seeds], lens[n_seeds]);
    n_seeds++;
    for (i = 0; n_seeds > 0 && i < iterations; i++) {
        const int s = (int)(next_rand() % (uint64_t)n_seeds);
        mutate_and_run(seeds[s], lens[s]);
    }
    for (i = 0; i < n_seeds; i++) free(seeds[i]);
    printf("ok: %d seeds, %ld mutations, %d checks\n", n_seeds, iterations, N_CHECKS);
    return 0;
}
