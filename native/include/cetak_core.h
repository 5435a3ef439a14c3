/*
 * cetak native card core: panels, Evolis and Magicard command streams, stream decoder, BER-TLV,
 * and the PRR import's fast path (check and encode plainly valid rows).
 *
 * Rules kept by every function here (docs/design.md section 7):
 *  - every buffer comes with its length; nothing is read or written outside it;
 *  - every failure is a negative return code plus a message in a caller-provided cetak_error;
 *  - no global mutable state (only const tables), so calls may run on many threads at once;
 *  - no memory is handed to the caller: outputs go to caller buffers sized by a query function
 *    (temporary scratch is allocated and freed inside the call).
 * The cffi declarations in ../cdef.h mirror this file; keep them in step.
 */
#ifndef CETAK_CORE_H
#define CETAK_CORE_H

#include <stddef.h>
#include <stdint.h>

int cetak_abi_version(void);

/* The SIMD paths calls take on this machine (compiled in and the CPU has the instructions), as
 * bits; with none, SIMD and scalar_only calls run the same code. */
#define CETAK_SIMD_PANELS 1   /* AVX-512 VBMI: tone-curve lookups and bit packing */
#define CETAK_SIMD_COMPRESS 2 /* AVX-512 VBMI2: the Evolis colour compressor */
int cetak_simd_paths(void);

/* ---- errors ---------------------------------------------------------------------------- */
#define CETAK_OK 0
#define CETAK_E_ARG (-1)       /* bad argument: sizes, levels, options */
#define CETAK_E_SPACE (-2)     /* output buffer too small */
#define CETAK_E_TRUNCATED (-3) /* the stream ends inside a unit */
#define CETAK_E_SYNTAX (-4)    /* bytes that are not the dialect (garbage) */
#define CETAK_E_UNKNOWN (-5)   /* a well-formed command this decoder does not know */
#define CETAK_E_LENGTH (-6)    /* a length field that disagrees with the data */
#define CETAK_E_NOMEM (-7)     /* scratch allocation failed */
#define CETAK_E_LIMIT (-8)     /* nesting or count above a documented limit; text (an encoder's
                                  job header) longer than its buffer */
#define CETAK_E_COMMANDS (-9)  /* a stream with more than CETAK_MAX_COMMANDS commands */

typedef struct {
    int code;
    size_t offset; /* byte offset in the input the error is about (0 when none) */
    char message[160];
} cetak_error;

/* ---- geometry -------------------------------------------------------------------------- */
#define CETAK_CARD_W 1016 /* landscape canvas: dots along the long edge */
#define CETAK_CARD_H 648  /* landscape canvas: dots along the short edge */
#define CETAK_EVOLIS_W 648
#define CETAK_MAGICARD_W 672
#define CETAK_PANEL_LINES 1016

/* panel bits, in stream order */
#define CETAK_P_Y 1
#define CETAK_P_M 2
#define CETAK_P_C 4
#define CETAK_P_K 8
#define CETAK_P_O 16

/* One rendered side, landscape: rgb is 648 rows x 1016 x 3 bytes; masks 648 x 1016 bytes
 * (non-zero = set). */
typedef struct {
    const uint8_t *rgb;
    size_t rgb_len;
    const uint8_t *k_mask;
    size_t k_len;
    const uint8_t *o_mask;
    size_t o_len;
} cetak_side;

typedef struct {
    int levels;            /* Y/M/C levels: 32, 64, 128, 256 */
    int compress;          /* Evolis: Dbc instead of Db */
    int contactless;       /* Evolis: Sic after Ss */
    int front_panels;      /* CETAK_P_* bits */
    int back_panels;       /* CETAK_P_* bits (used when back != NULL) */
    const char *ribbon;    /* Evolis Pr parameter, [a-zA-Z]{1,15} */
    const uint8_t *curves; /* 3 x 256 tone curves for Y, M, C, or NULL for identity */
    size_t curves_len;
    const int *contrast;   /* 5 values (y,m,c,k,o) for Pc; CETAK_NO_CONTRAST = not sent */
    size_t contrast_len;
    int scalar_only;       /* 1: skip the SIMD paths (tests compare both) */
} cetak_job_opts;

#define CETAK_NO_CONTRAST (-1000)

/* Panels of one side in Evolis orientation: 5 planes (y, m, c, k, o) of 1016 lines x 648 dots,
 * colour as levels-depth values, k and o as 0/1.  out_len must be 5 * 1016 * 648. */
int cetak_panels(const cetak_side *side, const cetak_job_opts *opts, uint8_t *out, size_t out_len,
                 cetak_error *err);

/* ---- encoders -------------------------------------------------------------------------- */
/* Both encoders take a caller-provided work area of cetak_encode_work_size(opts) bytes (the
 * panels of one side and one encoded panel), so a caller encoding many cards reuses one. */
size_t cetak_encode_work_size(const cetak_job_opts *opts);
size_t cetak_evolis_max_size(const cetak_job_opts *opts, int duplex);
int cetak_evolis_encode(const cetak_side *front, const cetak_side *back, const cetak_job_opts *opts,
                        uint8_t *work, size_t work_len, uint8_t *out, size_t cap, size_t *out_len,
                        size_t *chip_offset, cetak_error *err);
/* One Evolis panel (1016 x 648 dot values, 0/1 for levels 2) as a Dbc payload; out needs
 * cetak_evolis_compress_max() bytes. */
size_t cetak_evolis_compress_max(void);
int cetak_evolis_compress(const uint8_t *dots, size_t len, int levels, uint8_t *out, size_t cap,
                          size_t *out_len, cetak_error *err);
size_t cetak_magicard_max_size(const cetak_job_opts *opts, int duplex);
int cetak_magicard_encode(const cetak_side *front, const cetak_side *back,
                          const cetak_job_opts *opts, uint8_t *work, size_t work_len,
                          uint8_t *out, size_t cap, size_t *out_len, cetak_error *err);

/* ---- framing --------------------------------------------------------------------------- */
/* Length of the first complete unit in buf (*unit_len = 0: more bytes needed).
 * Evolis: one command including a download's payload and CR, or a run of 0x00 padding.
 * Magicard: one job (header, planes, 0x03) or one control message. */
int cetak_evolis_frame(const uint8_t *buf, size_t len, size_t *unit_len, cetak_error *err);
int cetak_magicard_frame(const uint8_t *buf, size_t len, size_t *unit_len, cetak_error *err);

/* ---- decoder --------------------------------------------------------------------------- */
#define CETAK_DIALECT_EVOLIS 1
#define CETAK_DIALECT_MAGICARD 2

#define CETAK_CMD_TEXT 0       /* Evolis command / Magicard header token: text holds it */
#define CETAK_CMD_JOB 1        /* Magicard job start */
#define CETAK_CMD_PLANE 2      /* Magicard plane terminator: text holds the plane letter */
#define CETAK_CMD_END 3        /* Magicard job end (0x03) */
#define CETAK_CMD_CONTROL 4    /* Magicard control message: text holds it */

typedef struct {
    int kind;
    size_t offset;   /* of the command's first byte */
    size_t text_off; /* command text (Evolis: after ESC, up to CR or a download's payload) */
    size_t text_len;
    size_t name_len; /* leading part of text that names the command */
} cetak_cmd;

typedef struct {
    int side;        /* 0 front, 1 back */
    char panel;      /* y m c k o */
    int levels;
    int width;
    int height;
    size_t dots_off; /* into the caller's dots buffer: height * width bytes, row-major */
    size_t dots_printed;
} cetak_panel;

/* A stream holding more panels than this is refused (CETAK_E_LIMIT): each decoded panel takes
 * ~660 KB, so a small hostile stream of tiny blank downloads could otherwise ask for gigabytes.
 * A duplex YMCKO card has 10. */
#define CETAK_MAX_PANELS 64
/* A stream holding more commands than this is refused (CETAK_E_COMMANDS, offset: the first
 * command past the limit), by both passes as soon as the walk reaches it: a stream of tiny
 * commands (ESC "Ss" CR is 4 bytes; each decoded command takes a 40-byte cetak_cmd and a
 * Python object) would otherwise ask for memory many times its own size. A duplex card has
 * about 50 (Magicard counts every header token), and 64 panels' worth of cards some 350. */
#define CETAK_MAX_COMMANDS 4096

/* Pass 1: detect the dialect, frame and check the whole stream, count what pass 2 needs. */
int cetak_scan(const uint8_t *data, size_t len, int *dialect, size_t *n_cmds, size_t *n_panels,
               size_t *dots_len, cetak_error *err);
/* Pass 2: decode into caller arrays sized from cetak_scan. */
int cetak_decode(const uint8_t *data, size_t len, cetak_cmd *cmds, size_t cmd_cap, size_t *n_cmds,
                 cetak_panel *panels, size_t panel_cap, size_t *n_panels, uint8_t *dots,
                 size_t dots_cap, cetak_error *err);

/* ---- BER-TLV --------------------------------------------------------------------------- */
#define CETAK_TLV_MAX_DEPTH 32

typedef struct {
    uint32_t tag;       /* tag bytes big-endian, e.g. 0x5F1F */
    int32_t parent;     /* index of the parent node, -1 at top level */
    int constructed;
    size_t offset;      /* of the tag's first byte */
    size_t value_off;
    size_t value_len;
} cetak_tlv_node;

/* nodes == NULL: only count (*count = nodes needed). */
int cetak_tlv_decode(const uint8_t *data, size_t len, cetak_tlv_node *nodes, size_t cap,
                     size_t *count, cetak_error *err);

typedef struct {
    uint32_t tag;
    int32_t n_children; /* -1: primitive, value in values[value_off : value_off + value_len] */
    size_t value_off;
    size_t value_len;
} cetak_tlv_in;

/* nodes in pre-order; out == NULL: only compute *out_len. */
int cetak_tlv_encode(const cetak_tlv_in *nodes, size_t n, const uint8_t *values, size_t values_len,
                     uint8_t *out, size_t cap, size_t *out_len, cetak_error *err);

/* ---- PRR import fast path (prr.c) --------------------------------------------------------- */
/* A batch is the rows' values in cetak.prr.schema.FIELDS order, fields separated by 0x1F and
 * every row ended by 0x1E. Rows the fast path cannot vouch for get kel = -1: the Python rules
 * decide those. */
#define CETAK_PRR_FIELDS 19
#define CETAK_PRR_BARU 1        /* cetak.api.v1.Kategori */
#define CETAK_PRR_PENGGANTIAN 2

typedef struct {
    const uint64_t *kec;    /* sorted NIK prefixes PPRRSS of existing kecamatan */
    size_t n_kec;
    const uint64_t *kel;    /* sorted kelurahan codes PP.RR.SS.NNNN as the numbers PPRRSSNNNN */
    size_t n_kel;
    int64_t today;          /* YYYYMMDD: later birth dates are refused */
    int64_t earliest_year;  /* earlier birth years are refused */
    int32_t nama_max, tempat_max, alamat_max, kerja_max; /* lengths in characters */
} cetak_prr_rules;

/* Check n_rows rows: per row its kelurahan index (or -1), NIK as a number and person key.
 * CETAK_E_LENGTH when the batch holds another number of rows (a separator inside a value). */
int cetak_prr_check(const uint8_t *buf, size_t len, size_t n_rows, const cetak_prr_rules *rules,
                    int32_t *kel, int64_t *nik, int64_t *person_key, cetak_error *err);

typedef struct {
    const uint8_t *pieces;  /* encoded site fields */
    size_t pieces_len;
    const uint32_t *site_span; /* per kelurahan index: offset and length of fields 11-15, then
                                  of field 24, in pieces (length 0: not given) */
    size_t n_kel;
    const char *id_prefix;  /* record id of row r: id_prefix + hex(first_seq + r), 7+ digits */
    size_t id_prefix_len;
    uint64_t first_seq;
} cetak_prr_encoding;

/* The CardRecord bytes (without fields 26 and 27, which come last) of every row with kel >= 0:
 * row r's at out[spans[2r] : spans[2r] + spans[2r + 1]]; 0, 0 for rows left to Python. */
int cetak_prr_encode(const uint8_t *buf, size_t len, const int32_t *kel, size_t n_rows,
                     const cetak_prr_encoding *enc, uint8_t *out, size_t cap, uint32_t *spans,
                     size_t *out_len, cetak_error *err);

#endif
