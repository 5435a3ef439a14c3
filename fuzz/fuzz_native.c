/* libFuzzer entry point for the card core's decoders: stream decoder (both dialects, both
 * passes), the two framers fed byte-stream style, and the BER-TLV decoder with a re-encode
 * round trip.  Build with clang -fsanitize=fuzzer,address,undefined (see README.md), or with
 * driver_main.c for the gcc mutation loop the tests run under AddressSanitizer. */
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_decode(data, size);
    fuzz_frame(data, size);
    fuzz_tlv(data, size);
    return 0;
}
