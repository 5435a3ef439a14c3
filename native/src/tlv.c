/* BER-TLV (ISO/IEC 8825-1 as used by ICAO 9303 data groups): definite lengths only, tags of
 * up to 4 bytes, lengths up to 4 bytes (0x84), nesting up to CETAK_TLV_MAX_DEPTH. */
#include "cetak_internal.h"

/* ---- decode ---- */
static int read_tag(const uint8_t *d, size_t len, size_t *i, uint32_t *tag, cetak_error *err) {
    const size_t start = *i;
    uint32_t t = d[(*i)++];
    if ((t & 0x1F) == 0x1F) {
        int n = 0;
        for (;;) {
            uint8_t b;
            if (*i >= len) return cetak__fail(err, CETAK_E_TRUNCATED, start, "data ends inside a tag");
            b = d[(*i)++];
            if (++n > 3) return cetak__fail(err, CETAK_E_LIMIT, start, "tag longer than 4 bytes");
            if (n == 1 && b == 0x80)
                return cetak__fail(err, CETAK_E_SYNTAX, start, "tag number with a leading zero group");
            t = (t << 8) | b;
            if (!(b & 0x80)) break;
        }
    }
    *tag = t;
    return CETAK_OK;
}

static int read_len(const uint8_t *d, size_t len, size_t *i, size_t *out, cetak_error *err) {
    const size_t start = *i;
    uint8_t b;
    if (*i >= len) return cetak__fail(err, CETAK_E_TRUNCATED, start, "data ends before a length");
    b = d[(*i)++];
    if (b < 0x80) {
        *out = b;
    } else if (b == 0x80) {
        return cetak__fail(err, CETAK_E_SYNTAX, start, "indefinite length is not allowed");
    } else {
        size_t n = b & 0x7F, v = 0, k;
        if (n > 4) return cetak__fail(err, CETAK_E_LIMIT, start, "length of %zu bytes", n);
        if (len - *i < n) return cetak__fail(err, CETAK_E_TRUNCATED, start, "data ends inside a length");
        for (k = 0; k < n; k++) v = (v << 8) | d[(*i)++];
        *out = v;
    }
    return CETAK_OK;
}

int cetak_tlv_decode(const uint8_t *data, size_t len, cetak_tlv_node *nodes, size_t cap,
                     size_t *count, cetak_error *err) {
    /* iterative walk: ends[] holds the end offset of each open constructed value */
    size_t ends[CETAK_TLV_MAX_DEPTH + 1];
    int32_t parents[CETAK_TLV_MAX_DEPTH + 1];
    int depth = 0;
    size_t i = 0, n = 0;
    int rc;
    if (!count || (!data && len)) return cetak__fail(err, CETAK_E_ARG, 0, "null argument");
    ends[0] = len;
    parents[0] = -1;
    while (i < len || depth > 0) {
        size_t start, vlen = 0;
        uint32_t tag = 0;
        int constructed;
        if (depth > 0 && i == ends[depth]) {
            depth--;
            continue;
        }
        start = i;
        if ((rc = read_tag(data, ends[depth], &i, &tag, err)) != CETAK_OK) return rc;
        if ((rc = read_len(data, ends[depth], &i, &vlen, err)) != CETAK_OK) return rc;
        if (vlen > ends[depth] - i)
            return cetak__fail(err, CETAK_E_LENGTH, start,
                               "tag %X says %zu value bytes but only %zu remain", (unsigned)tag, vlen,
                               ends[depth] - i);
        constructed = (data[start] & 0x20) != 0;
        if (nodes) {
            if (n >= cap) return cetak__fail(err, CETAK_E_SPACE, start, "node array full");
            nodes[n].tag = tag;
            nodes[n].parent = parents[depth];
            nodes[n].constructed = constructed;
            nodes[n].offset = start;
            nodes[n].value_off = i;
            nodes[n].value_len = vlen;
        }
        if (constructed) {
            if (depth >= CETAK_TLV_MAX_DEPTH)
                return cetak__fail(err, CETAK_E_LIMIT, start, "nesting deeper than %d",
                                   CETAK_TLV_MAX_DEPTH);
            depth++;
            ends[depth] = i + vlen;
            parents[depth] = (int32_t)n;
        } else {
            i += vlen;
        }
        n++;
    }
    *count = n;
    return CETAK_OK;
}

/* ---- encode ---- */
static int tag_bytes(uint32_t tag, uint8_t *out, int *constructed) {
    uint8_t b[4];
    int n = 0, k;
    do {
        b[n++] = (uint8_t)(tag & 0xFF);
        tag >>= 8;
    } while (tag && n < 4);
    if (tag) return 0;
    for (k = 0; k < n; k++) out[k] = b[n - 1 - k];
    /* the first byte says whether more follow; every middle byte has bit 8 set, the last not */
    if (n == 1) {
        if ((out[0] & 0x1F) == 0x1F) return 0;
    } else {
        if ((out[0] & 0x1F) != 0x1F) return 0;
        if (out[1] == 0x80) return 0;
        for (k = 1; k < n - 1; k++)
            if (!(out[k] & 0x80)) return 0;
        if (out[n - 1] & 0x80) return 0;
    }
    *constructed = (out[0] & 0x20) != 0;
    return n;
}

static size_t len_size(size_t v) {
    return v < 0x80 ? 1 : v <= 0xFF ? 2 : v <= 0xFFFF ? 3 : v <= 0xFFFFFF ? 4 : 5;
}

/* Total encoded size of the subtree at *i (advances *i past it). */
static int subtree(const cetak_tlv_in *nodes, size_t n, size_t values_len, size_t *i, int depth,
                   size_t *total, size_t *content, cetak_error *err) {
    const size_t me = *i;
    uint8_t tb[4];
    int constructed = 0, tn, rc;
    size_t c = 0;
    if (me >= n) return cetak__fail(err, CETAK_E_ARG, me, "node %zu: children missing", me);
    if (depth > CETAK_TLV_MAX_DEPTH)
        return cetak__fail(err, CETAK_E_LIMIT, me, "nesting deeper than %d", CETAK_TLV_MAX_DEPTH);
    tn = tag_bytes(nodes[me].tag, tb, &constructed);
    if (!tn) return cetak__fail(err, CETAK_E_ARG, me, "node %zu: 0x%X is not a valid BER tag", me,
                                (unsigned)nodes[me].tag);
    (*i)++;
    if (nodes[me].n_children < 0) {
        if (constructed)
            return cetak__fail(err, CETAK_E_ARG, me, "node %zu: constructed tag 0x%X needs children",
                               me, (unsigned)nodes[me].tag);
        if (nodes[me].value_off > values_len || nodes[me].value_len > values_len - nodes[me].value_off)
            return cetak__fail(err, CETAK_E_ARG, me, "node %zu: value outside the value buffer", me);
        c = nodes[me].value_len;
    } else {
        int32_t k;
        if (!constructed)
            return cetak__fail(err, CETAK_E_ARG, me, "node %zu: primitive tag 0x%X cannot hold children",
                               me, (unsigned)nodes[me].tag);
        for (k = 0; k < nodes[me].n_children; k++) {
            size_t t = 0, cc = 0;
            if ((rc = subtree(nodes, n, values_len, i, depth + 1, &t, &cc, err)) != CETAK_OK) return rc;
            c += t;
        }
    }
    if (c > 0xFFFFFFFFu) return cetak__fail(err, CETAK_E_LIMIT, me, "value too long");
    *content = c;
    *total = (size_t)tn + len_size(c) + c;
    return CETAK_OK;
}

static size_t write_subtree(const cetak_tlv_in *nodes, size_t n, const uint8_t *values, size_t *i,
                            uint8_t *out) {
    const size_t me = *i;
    uint8_t tb[4];
    int constructed = 0, tn = tag_bytes(nodes[me].tag, tb, &constructed);
    size_t o = 0, total = 0, content = 0, probe = me, ls, k;
    subtree(nodes, n, (size_t)-1, &probe, 0, &total, &content, NULL);
    memcpy(out, tb, (size_t)tn);
    o = (size_t)tn;
    ls = len_size(content);
    if (ls == 1) {
        out[o++] = (uint8_t)content;
    } else {
        out[o++] = (uint8_t)(0x80 | (ls - 1));
        for (k = ls - 1; k > 0; k--) out[o++] = (uint8_t)(content >> (8 * (k - 1)));
    }
    (*i)++;
    if (nodes[me].n_children < 0) {
        if (content) memcpy(out + o, values + nodes[me].value_off, content);
        o += content;
    } else {
        int32_t c;
        for (c = 0; c < nodes[me].n_children; c++) o += write_subtree(nodes, n, values, i, out + o);
    }
    return o;
}

int cetak_tlv_encode(const cetak_tlv_in *nodes, size_t n, const uint8_t *values, size_t values_len,
                     uint8_t *out, size_t cap, size_t *out_len, cetak_error *err) {
    size_t i = 0, total = 0;
    int rc;
    if (!out_len || (!nodes && n) || (!values && values_len))
        return cetak__fail(err, CETAK_E_ARG, 0, "null argument");
    /* validate everything and size it before writing a byte */
    while (i < n) {
        size_t t = 0, c = 0;
        if ((rc = subtree(nodes, n, values_len, &i, 0, &t, &c, err)) != CETAK_OK) return rc;
        total += t;
    }
    *out_len = total;
    if (!out) return CETAK_OK;
    if (cap < total) return cetak__fail(err, CETAK_E_SPACE, 0, "output needs %zu bytes", total);
    i = 0;
    total = 0;
    while (i < n) total += write_subtree(nodes, n, values, &i, out + total);
    return CETAK_OK;
}
