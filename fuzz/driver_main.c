/* Stand-alone driver for fuzz_native.c when libFuzzer is not available (gcc): runs every file
 * named on the command line, then `iterations` random mutations of them (seeded, repeatable),
 * and a self-check of both encoders on random cards (encode, decode, compare panels).
 *   driver [-n iterations] [-s seed] [-e] files...      (-e: skip the encoder self-check)
 * Exit status 0 = no finding; sanitizers abort on their own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cetak_core.h"

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
    printf("ok: %d seeds, %ld mutations\n", n_seeds, iterations);
    return 0;
}
