int cetak_abi_version(void);
