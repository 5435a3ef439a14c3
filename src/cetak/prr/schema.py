"""The PRR fields, their allowed values and the input limits (docs/prr-format.md)."""

from __future__ import annotations

from dataclasses import dataclass

# Every field of the format, in the order exports usually have them (order is free on input).
FIELDS: tuple[str, ...] = (
    "nik", "nama", "tempat_lahir", "tanggal_lahir", "jenis_kelamin", "golongan_darah",
    "alamat", "rt", "rw", "kelurahan_kode", "agama", "status_perkawinan", "pekerjaan",
    "kewarganegaraan", "kategori", "alasan", "status", "foto", "tanda_tangan",
)
# Fields that may be empty or absent from the header (absent reads as empty). `alasan` is
# required per record for PENGGANTIAN only, so a drive of BARU records may leave it out.
OPTIONAL: frozenset[str] = frozenset({"golongan_darah", "alasan", "tanda_tangan"})
REQUIRED_COLUMNS: frozenset[str] = frozenset(FIELDS) - OPTIONAL

# The field name used in errors about a whole line rather than one field.
LINE_FIELD = "(line)"

JENIS_KELAMIN = frozenset({"LAKI-LAKI", "PEREMPUAN"})
GOLONGAN_DARAH = frozenset({"A", "B", "AB", "O", "-"})
AGAMA = frozenset({
    "ISLAM", "KRISTEN", "KATOLIK", "HINDU", "BUDDHA", "KONGHUCU",
    "KEPERCAYAAN TERHADAP TUHAN YME",
})
STATUS_PERKAWINAN = frozenset({"BELUM KAWIN", "KAWIN", "CERAI HIDUP", "CERAI MATI"})
KEWARGANEGARAAN = frozenset({"WNI"})
KATEGORI = frozenset({"BARU", "PENGGANTIAN"})
ALASAN = frozenset({"RUSAK", "HILANG", "PINDAH", "PERUBAHAN_DATA"})
PRINTABLE_STATUS = "PRR"
# Statuses the national system uses for records that must not be printed; they are echoed as the
# rejection reason. Any other value is reported as unknown without echoing it.
KNOWN_STATUSES = frozenset({"PRR", "SFE", "DUPLICATE", "ADJUDICATE"})

NAMA_MAX = 60
TEMPAT_LAHIR_MAX = 40
ALAMAT_MAX = 100
PEKERJAAN_MAX = 40
EARLIEST_BIRTH_YEAR = 1900  # sanity bound: nobody born earlier holds a card


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds that keep hostile input from exhausting memory or time."""

    max_line_bytes: int = 64 * 1024           # one physical line; real records are ~300 bytes
    foto_max_bytes: int = 2 * 1024 * 1024
    foto_min_width: int = 200
    foto_min_height: int = 250
    tanda_tangan_max_bytes: int = 1024 * 1024
    max_image_pixels: int = 50_000_000        # header-declared size; refuses pixel bombs
    max_archive_bytes: int = 8 * 1024**3      # sum of declared uncompressed sizes in a .zip
    max_archive_members: int = 3_000_000
    max_compression_ratio: int = 200          # per member above 1 MiB; text is ~10:1, bombs 1000:1


DEFAULT_LIMITS = Limits()
