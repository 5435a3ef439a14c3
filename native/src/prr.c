/* The PRR import's fast path: check rows that are plainly valid and encode their lease payloads.
 *
 * It accepts a subset of what the Python rules (cetak/prr/rules.py) accept: printable ASCII
 * without padding, every value inside its rule at first sight. Anything else is left for the
 * Python rules, which decide (they name the problem). A row it accepts must be exactly what the
 * Python rules accept and encode; tests/prr compare the two on generated rows.
 */
#include "cetak_internal.h"

enum {
    F_NIK, F_NAMA, F_TEMPAT, F_TANGGAL, F_JK, F_GOLDAR, F_ALAMAT, F_RT, F_RW, F_KEL, F_AGAMA,
    F_KAWIN, F_KERJA, F_WN, F_KATEGORI, F_ALASAN, F_STATUS, F_FOTO, F_TTD
};

typedef struct {
    const uint8_t *p;
    size_t n;
} span;

static int eq(span s, const char *lit) {
    size_t n = strlen(lit);
    return s.n == n && memcmp(s.p, lit, n) == 0;
}

static int one_of(span s, const char *const *set) {
    for (; *set; set++)
        if (eq(s, *set)) return 1;
    return 0;
}

static const char *const GOLONGAN_DARAH[] = {"A", "B", "AB", "O", "-", "", NULL};
static const char *const AGAMA[] = {"ISLAM", "KRISTEN", "KATOLIK", "HINDU", "BUDDHA", "KONGHUCU",
                                    "KEPERCAYAAN TERHADAP TUHAN YME", NULL};
static const char *const KAWIN[] = {"BELUM KAWIN", "KAWIN", "CERAI HIDUP", "CERAI MATI", NULL};
static const char *const ALASAN[] = {"RUSAK", "HILANG", "PINDAH", "PERUBAHAN_DATA", NULL};

static int is_digit(uint8_t c) { return c >= '0' && c <= '9'; }
static int is_letter(uint8_t c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
static int is_name_punct(uint8_t c) { return c == ' ' || c == '\'' || c == '.' || c == ',' || c == '-'; }

static int digits(span s, size_t from, size_t n, uint64_t *value) {
    uint64_t v = 0;
    size_t i;
    for (i = from; i < from + n; i++) {
        if (!is_digit(s.p[i])) return 0;
        v = v * 10 + (uint64_t)(s.p[i] - '0');
    }
    *value = v;
    return 1;
}

/* [A-Za-z](?:[A-Za-z '.,-]{0,max-2}[A-Za-z'.,-])? : a name with a letter first, no padding. */
static int plain_name(span s, int max_len) {
    size_t i;
    if (s.n == 0 || s.n > (size_t)max_len || !is_letter(s.p[0]) || s.p[s.n - 1] == ' ') return 0;
    for (i = 1; i < s.n; i++)
        if (!is_letter(s.p[i]) && !is_name_punct(s.p[i])) return 0;
    return 1;
}

/* Printable ASCII, no padding: [\x21-\x7e](?:[\x20-\x7e]{0,max-2}[\x21-\x7e])? */
static int plain_text(span s, int max_len) {
    size_t i;
    if (s.n == 0 || s.n > (size_t)max_len || s.p[0] == ' ' || s.p[s.n - 1] == ' ') return 0;
    for (i = 0; i < s.n; i++)
        if (s.p[i] < 0x20 || s.p[i] > 0x7e) return 0;
    return 1;
}

static int is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in_month(int y, int m) {
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Python's date.toordinal(): 0001-01-01 is day 1. */
static int64_t ordinal(int y, int m, int d) {
    int64_t y1 = y - 1, days = y1 * 365 + y1 / 4 - y1 / 100 + y1 / 400;
    int k;
    for (k = 1; k < m; k++) days += days_in_month(y, k);
    return days + d;
}

static uint32_t crc32_update(const uint32_t *table, uint32_t crc, uint8_t byte) {
    return table[(crc ^ byte) & 0xFF] ^ (crc >> 8);
}

/* cetak.prr.text.person_key for a name plain_name() accepted: CRC-32 (zlib's) of the name
 * lowercased, apostrophes dropped, runs of " .,-" one space, no space at either end. */
static uint32_t name_crc(const uint32_t *table, span name) {
    uint32_t crc = 0xFFFFFFFFu;
    int pending = 0, any = 0;
    size_t i;
    for (i = 0; i < name.n; i++) {
        uint8_t c = name.p[i];
        if (c == '\'') continue;
        if (c == ' ' || c == '.' || c == ',' || c == '-') {
            pending = 1;
            continue;
        }
        if (pending && any) crc = crc32_update(table, crc, ' ');
        pending = 0;
        any = 1;
        crc = crc32_update(table, crc, (uint8_t)(c >= 'A' && c <= 'Z' ? c + 32 : c));
    }
    return crc ^ 0xFFFFFFFFu;
}

/* The index of key in the sorted a[0..n), or -1. */
static int32_t find(const uint64_t *a, size_t n, uint64_t key) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid] < key) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && a[lo] == key && lo <= INT32_MAX ? (int32_t)lo : -1;
}

/* PP.RR.SS.NNNN as the number PPRRSSNNNN; 0 when not in that shape. */
static uint64_t kelurahan_number(span s) {
    uint64_t a, b, c, d;
    if (s.n != 13 || s.p[2] != '.' || s.p[5] != '.' || s.p[8] != '.') return 0;
    if (!digits(s, 0, 2, &a) || !digits(s, 3, 2, &b) || !digits(s, 6, 2, &c) ||
        !digits(s, 9, 4, &d))
        return 0;
    return ((a * 100 + b) * 100 + c) * 10000 + d;
}

/* The fields of one row; 0 when it does not have exactly CETAK_PRR_FIELDS. */
static int split_row(const uint8_t *p, size_t n, span *f) {
    size_t i, start = 0;
    int k = 0;
    for (i = 0; i <= n; i++) {
        if (i == n || p[i] == 0x1F) {
            if (k == CETAK_PRR_FIELDS) return 0;
            f[k].p = p + start;
            f[k].n = i - start;
            k++;
            start = i + 1;
        }
    }
    return k == CETAK_PRR_FIELDS;
}

/* The checks of one row: its kelurahan's index (rules->kel), or -1 to leave it to Python. */
static int32_t check_row(const span *f, const cetak_prr_rules *rules, const uint32_t *crc_table,
                         int64_t *nik_out, int64_t *key_out) {
    uint64_t nik, y, m, d, rt, prefix, serial, number;
    int female, day_code;
    int32_t kel;
    span nikf = f[F_NIK], tgl = f[F_TANGGAL];
    /* NIK: 16 digits, an existing kecamatan, the birth date and sex of the record, serial > 0 */
    if (nikf.n != 16 || !digits(nikf, 0, 16, &nik)) return -1;
    prefix = nik / 10000000000ULL;
    serial = nik % 10000;
    if (serial == 0 || find(rules->kec, rules->n_kec, prefix) < 0) return -1;
    /* tanggal_lahir: YYYY-MM-DD, a real day, not in the future, not before earliest_year */
    if (tgl.n != 10 || tgl.p[4] != '-' || tgl.p[7] != '-' || !digits(tgl, 0, 4, &y) ||
        !digits(tgl, 5, 2, &m) || !digits(tgl, 8, 2, &d))
        return -1;
    /* year 0 is no date (Python's date starts at year 1, so the rules refuse it; the ordinal
     * below would be negative) */
    if (y < 1 || m < 1 || m > 12 || d < 1 || (int)d > days_in_month((int)y, (int)m)) return -1;
    if ((int64_t)(y * 10000 + m * 100 + d) > rules->today || (int64_t)y < rules->earliest_year)
        return -1;
    if (eq(f[F_JK], "PEREMPUAN")) female = 1;
    else if (eq(f[F_JK], "LAKI-LAKI")) female = 0;
    else return -1;
    day_code = (int)d + (female ? 40 : 0);
    if ((uint64_t)day_code * 10000 + m * 100 + y % 100 != (nik / 10000) % 1000000) return -1;
    if (!plain_name(f[F_NAMA], rules->nama_max) || !plain_name(f[F_TEMPAT], rules->tempat_max))
        return -1;
    if (!one_of(f[F_GOLDAR], GOLONGAN_DARAH)) return -1;
    if (!plain_text(f[F_ALAMAT], rules->alamat_max) || !plain_text(f[F_KERJA], rules->kerja_max))
        return -1;
    if (f[F_RT].n < 1 || f[F_RT].n > 3 || !digits(f[F_RT], 0, f[F_RT].n, &rt)) return -1;
    if (f[F_RW].n < 1 || f[F_RW].n > 3 || !digits(f[F_RW], 0, f[F_RW].n, &rt)) return -1;
    if (!one_of(f[F_AGAMA], AGAMA) || !one_of(f[F_KAWIN], KAWIN)) return -1;
    if (!eq(f[F_WN], "WNI") || !eq(f[F_STATUS], "PRR")) return -1;
    if (eq(f[F_KATEGORI], "BARU")) {
        if (f[F_ALASAN].n) return -1;
    } else if (!eq(f[F_KATEGORI], "PENGGANTIAN") || !one_of(f[F_ALASAN], ALASAN)) {
        return -1;
    }
    number = kelurahan_number(f[F_KEL]);
    kel = number ? find(rules->kel, rules->n_kel, number) : -1;
    if (kel < 0) return -1;
    *nik_out = (int64_t)nik;
    /* in unsigned arithmetic: a left shift of a signed value is undefined once it is negative
     * or overflows; ordinals of years 1..9999 are below 2^22, so the key fits int64_t */
    *key_out = (int64_t)((uint64_t)ordinal((int)y, (int)m, (int)d) << 32 |
                         (uint64_t)name_crc(crc_table, f[F_NAMA]));
    return kel;
}

/* The next row of a batch from *start: its length, or -1 when no 0x1E ends one. */
static int next_row(const uint8_t *buf, size_t len, size_t start, size_t *row_len) {
    const uint8_t *end = start < len ? memchr(buf + start, 0x1E, len - start) : NULL;
    if (!end) return 0;
    *row_len = (size_t)(end - (buf + start));
    return 1;
}

int cetak_prr_check(const uint8_t *buf, size_t len, size_t n_rows, const cetak_prr_rules *rules,
                    int32_t *kel, int64_t *nik, int64_t *person_key, cetak_error *err) {
    uint32_t table[256];
    span f[CETAK_PRR_FIELDS];
    size_t start = 0, r, n;
    uint32_t k;
    if (!rules || (n_rows && (!kel || !nik || !person_key)) || (!buf && len) ||
        (!rules->kec && rules->n_kec) || (!rules->kel && rules->n_kel))
        return cetak__fail(err, CETAK_E_ARG, 0, "null argument");
    for (k = 0; k < 256; k++) {
        uint32_t c = k;
        int b;
        for (b = 0; b < 8; b++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[k] = c;
    }
    for (r = 0; r < n_rows; r++) {
        if (!next_row(buf, len, start, &n))
            return cetak__fail(err, CETAK_E_LENGTH, start, "%zu rows, %zu announced", r, n_rows);
        nik[r] = person_key[r] = 0;
        kel[r] = split_row(buf + start, n, f) ? check_row(f, rules, table, &nik[r], &person_key[r])
                                               : -1;
        start += n + 1;
    }
    /* A separator inside a value shifts every later row: the count tells, and nothing is used. */
    if (start != len)
        return cetak__fail(err, CETAK_E_LENGTH, start, "more rows than the %zu announced", n_rows);
    return CETAK_OK;
}

/* ---- encoding: the CardRecord bytes upb writes (fields in number order, empty ones left out) */

typedef struct {
    uint8_t *p;
    size_t n, cap;
} sink;

static int put(sink *o, const void *data, size_t n) {
    if (o->cap - o->n < n) return 0;
    memcpy(o->p + o->n, data, n);
    o->n += n;
    return 1;
}

static int put_varint(sink *o, uint64_t v) {
    uint8_t tmp[10];
    size_t n = 0;
    while (v >= 0x80) {
        tmp[n++] = (uint8_t)(v & 0x7F) | 0x80;
        v >>= 7;
    }
    tmp[n++] = (uint8_t)v;
    return put(o, tmp, n);
}

/* One string field: tag, length, bytes (upper: ASCII capitals; pad: left-pad with '0' to 3). */
static int put_text(sink *o, int field, span s, int upper, int pad) {
    size_t i, n = s.n, zeros = pad && n < 3 ? 3 - n : 0;
    if (n + zeros == 0) return 1;
    if (!put_varint(o, (uint64_t)field << 3 | 2) || !put_varint(o, n + zeros)) return 0;
    if (o->cap - o->n < n + zeros) return 0;
    for (i = 0; i < zeros; i++) o->p[o->n++] = '0';
    if (!upper) return put(o, s.p, n);
    for (i = 0; i < n; i++) {
        uint8_t c = s.p[i];
        o->p[o->n++] = (uint8_t)(c >= 'a' && c <= 'z' ? c - 32 : c);
    }
    return 1;
}

static int put_lit(sink *o, int field, const char *lit) {
    span s = {(const uint8_t *)lit, strlen(lit)};
    return put_text(o, field, s, 0, 0);
}

static int encode_row(sink *o, const span *f, const cetak_prr_encoding *enc, uint64_t seq,
                      int32_t kel) {
    char id[96];
    span rid;
    const uint32_t *site = enc->site_span + (size_t)kel * 4;
    int n = snprintf(id, sizeof id, "%.*s%07llx", (int)enc->id_prefix_len, enc->id_prefix,
                     (unsigned long long)seq);
    if (n < 0 || (size_t)n >= sizeof id) return 0;
    rid.p = (const uint8_t *)id;
    rid.n = (size_t)n;
    if (!site[1] || site[0] > enc->pieces_len || site[1] > enc->pieces_len - site[0] ||
        site[2] > enc->pieces_len || site[3] > enc->pieces_len - site[2])
        return -1;
    return put_text(o, 1, rid, 0, 0) && put_text(o, 2, f[F_NIK], 0, 0) &&
           put_text(o, 3, f[F_NAMA], 1, 0) && put_text(o, 4, f[F_TEMPAT], 1, 0) &&
           put_text(o, 5, f[F_TANGGAL], 0, 0) && put_text(o, 6, f[F_JK], 0, 0) &&
           (f[F_GOLDAR].n ? put_text(o, 7, f[F_GOLDAR], 0, 0) : put_lit(o, 7, "-")) &&
           put_text(o, 8, f[F_ALAMAT], 1, 0) && put_text(o, 9, f[F_RT], 0, 1) &&
           put_text(o, 10, f[F_RW], 0, 1) && put(o, enc->pieces + site[0], site[1]) &&
           put_text(o, 16, f[F_AGAMA], 0, 0) && put_text(o, 17, f[F_KAWIN], 0, 0) &&
           put_text(o, 18, f[F_KERJA], 1, 0) && put_text(o, 19, f[F_WN], 0, 0) &&
           put_varint(o, 20 << 3) &&
           put_varint(o, eq(f[F_KATEGORI], "BARU") ? CETAK_PRR_BARU : CETAK_PRR_PENGGANTIAN) &&
           put_text(o, 21, f[F_ALASAN], 0, 0) && put(o, enc->pieces + site[2], site[3]);
}

int cetak_prr_encode(const uint8_t *buf, size_t len, const int32_t *kel, size_t n_rows,
                     const cetak_prr_encoding *enc, uint8_t *out, size_t cap, uint32_t *spans,
                     size_t *out_len, cetak_error *err) {
    sink o = {out, 0, cap};
    span f[CETAK_PRR_FIELDS];
    size_t r, start = 0, n;
    if (!enc || !out_len || (n_rows && (!kel || !spans)) || (!buf && len) || (!out && cap) ||
        (!enc->pieces && enc->pieces_len) || (!enc->site_span && enc->n_kel) ||
        (!enc->id_prefix && enc->id_prefix_len))
        return cetak__fail(err, CETAK_E_ARG, 0, "null argument");
    if (cap > UINT32_MAX) return cetak__fail(err, CETAK_E_LIMIT, 0, "output above 4 GiB");
    for (r = 0; r < n_rows; r++, start += n + 1) {
        size_t before = o.n;
        int rc;
        if (!next_row(buf, len, start, &n))
            return cetak__fail(err, CETAK_E_LENGTH, start, "%zu rows, %zu announced", r, n_rows);
        spans[2 * r] = spans[2 * r + 1] = 0;
        if (kel[r] < 0) continue;
        if ((size_t)kel[r] >= enc->n_kel || !split_row(buf + start, n, f))
            return cetak__fail(err, CETAK_E_ARG, start, "row %zu is not a checked row", r);
        rc = encode_row(&o, f, enc, enc->first_seq + r, kel[r]);
        if (rc < 0) return cetak__fail(err, CETAK_E_ARG, start, "no site pieces for row %zu", r);
        if (!rc) return cetak__fail(err, CETAK_E_SPACE, start, "output full at row %zu", r);
        spans[2 * r] = (uint32_t)before;
        spans[2 * r + 1] = (uint32_t)(o.n - before);
    }
    *out_len = o.n;
    return CETAK_OK;
}
