/* cffi declarations of include/cetak_core.h (keep in step with it). */
int cetak_abi_version(void);

#define CETAK_SIMD_PANELS 1
#define CETAK_SIMD_COMPRESS 2
int cetak_simd_paths(void);

#define CETAK_OK 0
#define CETAK_E_ARG -1
#define CETAK_E_SPACE -2
#define CETAK_E_TRUNCATED -3
#define CETAK_E_SYNTAX -4
#define CETAK_E_UNKNOWN -5
#define CETAK_E_LENGTH -6
#define CETAK_E_NOMEM -7
#define CETAK_E_LIMIT -8
#define CETAK_E_COMMANDS -9

typedef struct {
    int code;
    size_t offset;
    char message[160];
} cetak_error;

#define CETAK_CARD_W 1016
#define CETAK_CARD_H 648
#define CETAK_EVOLIS_W 648
#define CETAK_MAGICARD_W 672
#define CETAK_PANEL_LINES 1016
#define CETAK_P_Y 1
#define CETAK_P_M 2
#define CETAK_P_C 4
#define CETAK_P_K 8
#define CETAK_P_O 16
#define CETAK_NO_CONTRAST -1000

typedef struct {
    const uint8_t *rgb;
    size_t rgb_len;
    const uint8_t *k_mask;
    size_t k_len;
    const uint8_t *o_mask;
    size_t o_len;
} cetak_side;

typedef struct {
    int levels;
    int compress;
    int contactless;
    int front_panels;
    int back_panels;
    const char *ribbon;
    const uint8_t *curves;
    size_t curves_len;
    const int *contrast;
    size_t contrast_len;
    int scalar_only;
} cetak_job_opts;

int cetak_panels(const cetak_side *side, const cetak_job_opts *opts, uint8_t *out, size_t out_len,
                 cetak_error *err);

size_t cetak_encode_work_size(const cetak_job_opts *opts);
size_t cetak_evolis_max_size(const cetak_job_opts *opts, int duplex);
int cetak_evolis_encode(const cetak_side *front, const cetak_side *back, const cetak_job_opts *opts,
                        uint8_t *work, size_t work_len, uint8_t *out, size_t cap, size_t *out_len,
                        size_t *chip_offset, cetak_error *err);
size_t cetak_evolis_compress_max(void);
int cetak_evolis_compress(const uint8_t *dots, size_t len, int levels, uint8_t *out, size_t cap,
                          size_t *out_len, cetak_error *err);
size_t cetak_magicard_max_size(const cetak_job_opts *opts, int duplex);
int cetak_magicard_encode(const cetak_side *front, const cetak_side *back,
                          const cetak_job_opts *opts, uint8_t *work, size_t work_len,
                          uint8_t *out, size_t cap, size_t *out_len, cetak_error *err);

int cetak_evolis_frame(const uint8_t *buf, size_t len, size_t *unit_len, cetak_error *err);
int cetak_magicard_frame(const uint8_t *buf, size_t len, size_t *unit_len, cetak_error *err);

#define CETAK_DIALECT_EVOLIS 1
#define CETAK_DIALECT_MAGICARD 2
#define CETAK_CMD_TEXT 0
#define CETAK_CMD_JOB 1
#define CETAK_CMD_PLANE 2
#define CETAK_CMD_END 3
#define CETAK_CMD_CONTROL 4

typedef struct {
    int kind;
    size_t offset;
    size_t text_off;
    size_t text_len;
    size_t name_len;
} cetak_cmd;

typedef struct {
    int side;
    char panel;
    int levels;
    int width;
    int height;
    size_t dots_off;
    size_t dots_printed;
} cetak_panel;

#define CETAK_MAX_PANELS 64
#define CETAK_MAX_COMMANDS 4096

int cetak_scan(const uint8_t *data, size_t len, int *dialect, size_t *n_cmds, size_t *n_panels,
               size_t *dots_len, cetak_error *err);
int cetak_decode(const uint8_t *data, size_t len, cetak_cmd *cmds, size_t cmd_cap, size_t *n_cmds,
                 cetak_panel *panels, size_t panel_cap, size_t *n_panels, uint8_t *dots,
                 size_t dots_cap, cetak_error *err);

#define CETAK_TLV_MAX_DEPTH 32

typedef struct {
    uint32_t tag;
    int32_t parent;
    int constructed;
    size_t offset;
    size_t value_off;
    size_t value_len;
} cetak_tlv_node;

int cetak_tlv_decode(const uint8_t *data, size_t len, cetak_tlv_node *nodes, size_t cap,
                     size_t *count, cetak_error *err);

typedef struct {
    uint32_t tag;
    int32_t n_children;
    size_t value_off;
    size_t value_len;
} cetak_tlv_in;

int cetak_tlv_encode(const cetak_tlv_in *nodes, size_t n, const uint8_t *values, size_t values_len,
                     uint8_t *out, size_t cap, size_t *out_len, cetak_error *err);

#define CETAK_PRR_FIELDS 19
#define CETAK_PRR_BARU 1
#define CETAK_PRR_PENGGANTIAN 2

typedef struct {
    const uint64_t *kec;
    size_t n_kec;
    const uint64_t *kel;
    size_t n_kel;
    int64_t today;
    int64_t earliest_year;
    int32_t nama_max, tempat_max, alamat_max, kerja_max;
} cetak_prr_rules;

int cetak_prr_check(const uint8_t *buf, size_t len, size_t n_rows, const cetak_prr_rules *rules,
                    int32_t *kel, int64_t *nik, int64_t *person_key, cetak_error *err);

typedef struct {
    const uint8_t *pieces;
    size_t pieces_len;
    const uint32_t *site_span;
    size_t n_kel;
    const char *id_prefix;
    size_t id_prefix_len;
    uint64_t first_seq;
} cetak_prr_encoding;

int cetak_prr_encode(const uint8_t *buf, size_t len, const int32_t *kel, size_t n_rows,
                     const cetak_prr_encoding *enc, uint8_t *out, size_t cap, uint32_t *spans,
                     size_t *out_len, cetak_error *err);
