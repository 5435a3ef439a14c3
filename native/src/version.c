/* What this build of the core is: its ABI version and the SIMD paths it will take here. */
#include "cetak_internal.h"

int cetak_abi_version(void) { return 1; }

int cetak_simd_paths(void) {
    return (cetak__use_simd(0) ? CETAK_SIMD_PANELS : 0) |
           (cetak__colour_simd(0) ? CETAK_SIMD_COMPRESS : 0);
}
