/* Helpers every source of the card core shares: error reporting and checked text appends. */
#include "cetak_internal.h"

int cetak__fail(cetak_error *err, int code, size_t offset, const char *fmt, ...) {
    if (err) {
        va_list ap;
        err->code = code;
        err->offset = offset;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return code;
}

int cetak__appendf(char *buf, size_t cap, size_t *len, const char *fmt, ...) {
    va_list ap;
    int n;
    /* *len >= cap leaves no room even for the terminator; checked before the subtraction
     * below so that it can never wrap */
    if (!buf || !len || *len >= cap) return CETAK_E_LIMIT;
    va_start(ap, fmt);
    n = vsnprintf(buf + *len, cap - *len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= cap - *len) {
        buf[*len] = 0; /* the text so far, without the cut-off part */
        return CETAK_E_LIMIT;
    }
    *len += (size_t)n;
    return CETAK_OK;
}
