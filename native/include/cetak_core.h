#ifndef CETAK_CORE_H
#define CETAK_CORE_H
int cetak_abi_version(void);
#endif
