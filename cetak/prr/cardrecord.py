"""From a validated PRR record to the lease payload (`CardRecord`), values as printed."""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

from cetak.prr.errors import MediaUnavailable, PrrError, RegionDataError
from cetak.prr.media import read_bounded
from cetak.prr.record import PrrRecord
from cetak.prr.regions import RegionTable
from cetak.prr.schema import DEFAULT_LIMITS

if TYPE_CHECKING:
    from cetak.api.v1.common_pb2 import CardRecord

_CITY_PREFIXES = ("Kota ", "Kabupaten ")


def _load(rec: PrrRecord, key: str, field: str, max_bytes: int) -> bytes:
    if not key:
        return b""
    if rec.media is None:
        raise MediaUnavailable(f"line {rec.line}: {field}: no folder or archive to read from")
    try:
        return read_bounded(rec.media, key, max_bytes)
    except (OSError, ValueError, PrrError) as exc:
        raise MediaUnavailable(
            f"line {rec.line}: {field} cannot be loaded ({type(exc).__name__})") from exc


def load_image(rec: PrrRecord, key: str, field: str) -> bytes:
    """The bytes of a record's `foto` or `tanda_tangan` (by key), within that field's size
    limit; MediaUnavailable when it cannot be read."""
    limit = (DEFAULT_LIMITS.foto_max_bytes if field == "foto"
             else DEFAULT_LIMITS.tanda_tangan_max_bytes)
    return _load(rec, key, field, limit)


def to_card_record(rec: PrrRecord, regions: RegionTable, *, record_id: str = "",
                   with_images: bool = True) -> CardRecord:
    """The `CardRecord` for `rec`: text in capitals, region names from `regions`, rt/rw as
    three digits, photo and signature bytes loaded from the record's folder, zip or memory.

    `record_id` and `issue_date` are the controller's to fill; `issue_city` is the city or
    regency of the kelurahan without its "Kota"/"Kabupaten" prefix (as printed on the card).
    MediaUnavailable when an image cannot be loaded.
    """
    from cetak.api.v1.common_pb2 import BARU, PENGGANTIAN, CardRecord

    place = _place(regions, rec.kelurahan_kode)
    if place is None:
        raise RegionDataError(f"line {rec.line}: kelurahan_kode not in the region table")
    return CardRecord(
        record_id=record_id,
        nik=rec.nik,
        nama=rec.nama.upper(),
        tempat_lahir=rec.tempat_lahir.upper(),
        tanggal_lahir=rec.tanggal_lahir.isoformat(),
        jenis_kelamin=rec.jenis_kelamin,
        golongan_darah=rec.golongan_darah or "-",
        alamat=rec.alamat.upper(),
        rt=rec.rt.zfill(3),
        rw=rec.rw.zfill(3),
        kelurahan_kode=rec.kelurahan_kode,
        agama=rec.agama,
        status_perkawinan=rec.status_perkawinan,
        pekerjaan=rec.pekerjaan.upper(),
        kewarganegaraan=rec.kewarganegaraan,
        kategori=BARU if rec.kategori == "BARU" else PENGGANTIAN,
        alasan=rec.alasan,
        foto=_load(rec, rec.foto, "foto", DEFAULT_LIMITS.foto_max_bytes) if with_images else b"",
        tanda_tangan=(_load(rec, rec.tanda_tangan, "tanda_tangan",
                            DEFAULT_LIMITS.tanda_tangan_max_bytes) if with_images else b""),
        **place,
    )


# Region names as printed, per table and kelurahan code: a million-record import has a few
# dozen kelurahan, and looking them up and capitalising them per record was a third of the
# cost of building a CardRecord.
_places: weakref.WeakKeyDictionary[RegionTable, dict[str, dict[str, str]]] = (
    weakref.WeakKeyDictionary())


def _place(regions: RegionTable, code: str) -> dict[str, str] | None:
    table = _places.get(regions)
    if table is None:
        table = _places[regions] = {}
    place = table.get(code)
    if place is None:
        kel = regions.kelurahan(code)
        if kel is None:
            return None
        city = kel.kabupaten_kota
        for prefix in _CITY_PREFIXES:
            if city.startswith(prefix):
                city = city[len(prefix):]
                break
        place = table[code] = dict(
            kelurahan=kel.name.upper(), kecamatan=kel.kecamatan.upper(),
            kabupaten_kota=kel.kabupaten_kota.upper(), provinsi=kel.provinsi.upper(),
            issue_city=city.upper())
    return place
