"""The typed record a valid PRR line becomes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from cetak.prr.media import MediaSource


# Not frozen: a frozen dataclass's __init__ goes through object.__setattr__ per field, ten
# times slower, and a million records are built per import. Treat records as read-only.
@dataclass(slots=True, repr=False)
class PrrRecord:
    """One valid PRR record, values as in the file (stripped, NFC), not yet in capitals.

    `foto` and `tanda_tangan` are normalised relative keys into `media`; `tanda_tangan` and
    `alasan` are "" when absent, `golongan_darah` is "-" when absent. `line` is the physical
    line the record starts on.
    """

    line: int
    nik: str
    nama: str
    tempat_lahir: str
    tanggal_lahir: dt.date
    jenis_kelamin: str
    golongan_darah: str
    alamat: str
    rt: str
    rw: str
    kelurahan_kode: str
    agama: str
    status_perkawinan: str
    pekerjaan: str
    kewarganegaraan: str
    kategori: str
    alasan: str
    status: str
    foto: str
    tanda_tangan: str
    media: MediaSource | None = field(default=None, compare=False)

    def __repr__(self) -> str:
        # Personal data stays out of logs and tracebacks: only where the record came from.
        return f"PrrRecord(line={self.line}, kelurahan_kode={self.kelurahan_kode!r})"
