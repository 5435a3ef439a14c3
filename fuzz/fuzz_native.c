/* libFuzzer entry point for the card core's decoders: stream decoder (both dialects, both
 * passes), the two framers fed byte-stream style, the BER-TLV decoder with a re-encode
 * round trip, and the PRR fast path (check and encode). Build with clang
 * -fsanitize=fuzzer,address,undefined (see README.md), or with driver_main.c for the gcc
 * mutation loop the tests run under AddressSanitizer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cetak_core.h"

static void fuzz_decode(const uint8_t *data, size_t size) {
    cetak_error err;
    int dialect = 0;
    size_t n_cmds = 0, n_panels = 0, dots_len = 0;
    if (cetak_scan(data, size, &dialect, &n_cmds, &n_panels, &dots_len, &err) != CETAK_OK) return;
    {
        cetak_cmd *cmds = malloc((n_cmds ? n_cmds : 1) * sizeof *cmds);
        cetak_panel *panels = malloc((n_panels ? n_panels : 1) * sizeof *panels);
        uint8_t *dots = malloc(dots_len ? dots_len : 1);
        if (cmds && panels && dots &&
            cetak_decode(data, size, cmds, n_cmds, &n_cmds, panels, n_panels, &n_panels, dots,
                         dots_len, &err) == CETAK_OK) {
            size_t i;
            for (i = 0; i < n_cmds; i++)
                if (cmds[i].text_off + cmds[i].text_len > size) abort();
            for (i = 0; i < n_panels; i++)
                if (panels[i].dots_off + (size_t)panels[i].width * panels[i].height > dots_len) abort();
        }
        free(cmds);
        free(panels);
        free(dots);
    }
}

static void fuzz_frame(const uint8_t *data, size_t size) {
    int which;
    for (which = 0; which < 2; which++) {
        size_t pos = 0;
        while (pos < size) {
            cetak_error err;
            size_t unit = 0;
            const int rc = which ? cetak_magicard_frame(data + pos, size - pos, &unit, &err)
                                 : cetak_evolis_frame(data + pos, size - pos, &unit, &err);
            if (rc != CETAK_OK || unit == 0) break;
            if (unit > size - pos) abort();
            pos += unit;
        }
    }
}

static void fuzz_tlv(const uint8_t *data, size_t size) {
    cetak_error err;
    size_t count = 0, i, out_len = 0;
    cetak_tlv_node *nodes;
    cetak_tlv_in *in;
    int32_t *kids;
    if (cetak_tlv_decode(data, size, NULL, 0, &count, &err) != CETAK_OK) return;
    nodes = malloc((count ? count : 1) * sizeof *nodes);
    in = malloc((count ? count : 1) * sizeof *in);
    kids = calloc(count ? count : 1, sizeof *kids);
    if (nodes && in && kids && cetak_tlv_decode(data, size, nodes, count, &count, &err) == CETAK_OK) {
        for (i = 0; i < count; i++)
            if (nodes[i].parent >= 0) kids[nodes[i].parent]++;
        for (i = 0; i < count; i++) {
            in[i].tag = nodes[i].tag;
            in[i].n_children = nodes[i].constructed ? kids[i] : -1;
            in[i].value_off = nodes[i].value_off;
            in[i].value_len = nodes[i].value_len;
        }
        /* whatever decodes must encode again, and to no more bytes than it came from
         * (long-form lengths may shrink to their shortest form) */
        if (cetak_tlv_encode(in, count, data, size, NULL, 0, &out_len, &err) != CETAK_OK) abort();
        if (out_len > size) abort();
        {
            uint8_t *out = malloc(out_len ? out_len : 1);
            if (out && cetak_tlv_encode(in, count, data, size, out, out_len, &out_len, &err) != CETAK_OK)
                abort();
            free(out);
        }
    }
    free(nodes);
    free(in);
    free(kids);
}

/* The PRR fast path: the input as a batch as it comes, then as one field of a plainly valid
 * row (so the checks past the first fields run too). Whatever it takes must encode, inside the
 * output bound the Python side allocates, with every span inside what was written. */
static void prr_batch(const uint8_t *data, size_t size) {
    static const uint64_t kec[] = {327601, 327602};
    static const uint64_t kel[] = {3276011006ULL, 3276011007ULL};
    static const uint32_t site[] = {0, 4, 4, 2, 0, 4, 4, 2};
    static const uint8_t pieces[] = {0x5A, 0x02, 'a', 'b', 0xC2, 0x01};
    const cetak_prr_rules rules = {kec, 2, kel, 2, 20250601, 1900, 60, 40, 100, 40};
    const cetak_prr_encoding enc = {pieces, sizeof pieces, site, 2, "rfuzz", 5, 1};
    size_t n = 0, i, out_len = 0;
    int32_t *kel_out;
    int64_t *nik, *key;
    uint32_t *spans;
    uint8_t *out;
    cetak_error err;
    for (i = 0; i < size; i++) n += data[i] == 0x1E;
    kel_out = malloc((n ? n : 1) * sizeof *kel_out);
    nik = malloc((n ? n : 1) * sizeof *nik);
    key = malloc((n ? n : 1) * sizeof *key);
    spans = malloc((n ? n : 1) * 2 * sizeof *spans);
    out = malloc(n * 1024 + 1);
    if (kel_out && nik && key && spans && out &&
        cetak_prr_check(data, size, n, &rules, kel_out, nik, key, &err) == CETAK_OK) {
        if (cetak_prr_encode(data, size, kel_out, n, &enc, out, n * 1024, spans, &out_len,
                             &err) != CETAK_OK)
            abort();
        for (i = 0; i < n; i++)
            if (spans[2 * i] + (size_t)spans[2 * i + 1] > out_len || (kel_out[i] >= 0) != (spans[2 * i + 1] > 0))
                abort();
    }
    free(kel_out);
    free(nik);
    free(key);
    free(spans);
    free(out);
}

static void fuzz_prr(const uint8_t *data, size_t size) {
    static const char *const good[CETAK_PRR_FIELDS] = {
        "3276011708990001", "Budi Santoso", "Depok", "1999-08-17", "LAKI-LAKI", "O",
        "Jl. Margonda Raya No. 100", "7", "007", "32.76.01.1007", "ISLAM", "BELUM KAWIN",
        "KARYAWAN SWASTA", "WNI", "BARU", "", "PRR", "foto/p000.jpg", "ttd/s000.png"};
    uint8_t *row;
    size_t len = 0, k, field;
    prr_batch(data, size);
    if (size == 0) return;
    field = data[0] % CETAK_PRR_FIELDS;
    row = malloc(size + 512);
    if (!row) return;
    for (k = 0; k < CETAK_PRR_FIELDS; k++) {
        if (k == field) {
            memcpy(row + len, data + 1, size - 1);
            len += size - 1;
        } else {
            memcpy(row + len, good[k], strlen(good[k]));
            len += strlen(good[k]);
        }
        row[len++] = k + 1 < CETAK_PRR_FIELDS ? 0x1F : 0x1E;
    }
    prr_batch(row, len);
    free(row);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_decode(data, size);
    fuzz_frame(data, size);
    fuzz_tlv(data, size);
    fuzz_prr(data, size);
    return 0;
}
