/* Stream decoder entry points: detect the dialect, then walk it with the dialect's decoder. */
#include "cetak_internal.h"

int cetak__evolis_walk(const uint8_t *data, size_t len, cetak_cmd *cmds, size_t cmd_cap,
                       size_t *n_cmds, cetak_panel *panels, size_t panel_cap, size_t *n_panels,
                       uint8_t *dots, size_t dots_cap, cetak_error *err);
int cetak__magicard_walk(const uint8_t *data, size_t len, cetak_cmd *cmds, size_t cmd_cap,
                         size_t *n_cmds, cetak_panel *panels, size_t panel_cap, size_t *n_panels,
                         uint8_t *dots, size_t dots_cap, cetak_error *err);

static int detect(const uint8_t *data, size_t len, int *dialect, cetak_error *err) {
    size_t i = 0;
    if (!data || len == 0) return cetak__fail(err, CETAK_E_TRUNCATED, 0, "empty stream");
    while (i < len && data[i] == 0x00) i++; /* leading padding */
    if (i == len) return cetak__fail(err, CETAK_E_TRUNCATED, 0, "stream holds only padding");
    if (data[i] == 0x1B) *dialect = CETAK_DIALECT_EVOLIS;
    else if (data[i] == 0x05) *dialect = CETAK_DIALECT_MAGICARD;
    else
        return cetak__fail(err, CETAK_E_SYNTAX, i,
                           "not a card printer stream: first byte 0x%02X is neither ESC (Evolis) "
                           "nor 0x05 (Magicard)", data[i]);
    return CETAK_OK;
}

int cetak_scan(const uint8_t *data, size_t len, int *dialect, size_t *n_cmds, size_t *n_panels,
               size_t *dots_len, cetak_error *err) {
    int rc;
    size_t width;
    if (!dialect || !n_cmds || !n_panels || !dots_len)
        return cetak__fail(err, CETAK_E_ARG, 0, "null output");
    if ((rc = detect(data, len, dialect, err)) != CETAK_OK) return rc;
    if (*dialect == CETAK_DIALECT_EVOLIS) {
        rc = cetak__evolis_walk(data, len, NULL, 0, n_cmds, NULL, 0, n_panels, NULL, 0, err);
        width = CETAK_EVOLIS_W;
    } else {
        rc = cetak__magicard_walk(data, len, NULL, 0, n_cmds, NULL, 0, n_panels, NULL, 0, err);
        width = CETAK_MAGICARD_W;
    }
    if (rc != CETAK_OK) return rc;
    if (*n_panels > CETAK_MAX_PANELS)
        return cetak__fail(err, CETAK_E_LIMIT, 0, "%zu panels in one stream; at most %d are decoded",
                           *n_panels, CETAK_MAX_PANELS);
    *dots_len = *n_panels * width * CETAK_PANEL_LINES;
    return CETAK_OK;
}

int cetak_decode(const uint8_t *data, size_t len, cetak_cmd *cmds, size_t cmd_cap, size_t *n_cmds,
                 cetak_panel *panels, size_t panel_cap, size_t *n_panels, uint8_t *dots,
                 size_t dots_cap, cetak_error *err) {
    int rc, dialect = 0;
    if (!cmds || !panels || !n_cmds || !n_panels || (!dots && dots_cap))
        return cetak__fail(err, CETAK_E_ARG, 0, "null output");
    if ((rc = detect(data, len, &dialect, err)) != CETAK_OK) return rc;
    if (dialect == CETAK_DIALECT_EVOLIS)
        return cetak__evolis_walk(data, len, cmds, cmd_cap, n_cmds, panels, panel_cap, n_panels,
                                  dots, dots_cap, err);
    return cetak__magicard_walk(data, len, cmds, cmd_cap, n_cmds, panels, panel_cap, n_panels, dots,
                                dots_cap, err);
}
