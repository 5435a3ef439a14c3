#include "cetak_core.h"
int cetak_abi_version(void) { return 1; }
