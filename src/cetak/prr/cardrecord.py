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


def _varint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _text(field_number: int, value: str) -> bytes:
    """One proto3 string field as serialised: nothing when empty (the default)."""
    data = value.encode("utf-8")
    size = len(data)
    if 0 < size < 0x80 and field_number < 16:  # one-byte tag and length: the common case
        return bytes((field_number << 3 | 2, size)) + data
    if not data:
        return b""
    return _varint(field_number << 3 | 2) + _varint(size) + data


class CardRecordEncoder:
    """Stored lease payloads of one import: for each record the bytes that
    `to_card_record(rec, regions, record_id=..., with_images=False)` with `foto_sha256` and
    `tanda_tangan_sha256` set gives from `SerializeToString()`, byte for byte (fields in number
    order, empty ones left out, as upb writes them).

    Built from pieces instead of a message: most fields repeat across a million records (dates,
    places, kelurahan names, enums, the shared photos' hashes), so each distinct value is
    encoded once and a record is a join of cached pieces; building a CardRecord per record was
    a third of the import's time. tests/prr checks the bytes against upb's.
    """

    def __init__(self, regions: RegionTable) -> None:
        self._regions = regions
        self._sites: dict[str, tuple[bytes, bytes]] = {}
        # field number -> {value as in the record: encoded field}
        self._pieces: dict[int, dict] = {n: {} for n in _CACHED_FIELDS}
        self._by_field = tuple(self._pieces[n] for n in _CACHED_FIELDS)

    def encode(self, rec: PrrRecord, record_id: str, foto_sha256: str,
               tanda_tangan_sha256: str) -> bytes:
        (tempat, tanggal, jk, goldar, rt, rw, agama, kawin, kerja, wn, kategori, _,
         _) = self._by_field
        site = self._sites.get(rec.kelurahan_kode) or self._site(rec)
        # The four fields that differ per record, inline: a call per field was a fifth of
        # encode's time. Below 128 bytes a length is one varint byte (empty: left out).
        rid, nik = record_id.encode(), rec.nik.encode()
        nama, alamat = rec.nama.upper().encode(), rec.alamat.upper().encode()
        return b"".join((
            b"\x0a" + _ONE_BYTE[n] + rid if 0 < (n := len(rid)) < 0x80
            else _text(1, record_id),
            b"\x12" + _ONE_BYTE[n] + nik if 0 < (n := len(nik)) < 0x80 else _text(2, rec.nik),
            b"\x1a" + _ONE_BYTE[n] + nama if 0 < (n := len(nama)) < 0x80
            else _text(3, rec.nama.upper()),
            tempat.get(rec.tempat_lahir) or self._piece(4, rec.tempat_lahir, str.upper),
            tanggal.get(rec.tanggal_lahir) or self._piece(5, rec.tanggal_lahir, _isoformat),
            jk.get(rec.jenis_kelamin) or self._piece(6, rec.jenis_kelamin),
            goldar.get(rec.golongan_darah) or self._piece(7, rec.golongan_darah, _goldar),
            b"\x42" + _ONE_BYTE[n] + alamat if 0 < (n := len(alamat)) < 0x80
            else _text(8, rec.alamat.upper()),
            rt.get(rec.rt) or self._piece(9, rec.rt, _three_digits),
            rw.get(rec.rw) or self._piece(10, rec.rw, _three_digits),
            site[0],
            agama.get(rec.agama) or self._piece(16, rec.agama),
            kawin.get(rec.status_perkawinan) or self._piece(17, rec.status_perkawinan),
            kerja.get(rec.pekerjaan) or self._piece(18, rec.pekerjaan, str.upper),
            wn.get(rec.kewarganegaraan) or self._piece(19, rec.kewarganegaraan),
            kategori.get((rec.kategori, rec.alasan)) or self._kategori(rec.kategori, rec.alasan),
            site[1],
            self.image_fields(foto_sha256, tanda_tangan_sha256),
        ))

    def _piece(self, field_number: int, value, shown=str) -> bytes:  # noqa: ANN001
        cache = self._pieces[field_number]
        if len(cache) >= _PIECES_MAX:  # free text that does not repeat: keep memory bounded
            cache.clear()
        piece = cache[value] = _text(field_number, shown(value))
        # An empty piece is b"" (falsy): callers then come here again, which is still right.
        return piece

    def _kategori(self, kategori: str, alasan: str) -> bytes:
        from cetak.api.v1.common_pb2 import BARU, PENGGANTIAN

        number = BARU if kategori == "BARU" else PENGGANTIAN
        piece = _varint(20 << 3) + _varint(number) + _text(21, alasan)  # 20: varint (enum)
        self._pieces[20][(kategori, alasan)] = piece
        return piece

    def _site(self, rec: PrrRecord) -> tuple[bytes, bytes]:
        site = site_fields(self._regions, rec.kelurahan_kode)
        if site is None:
            raise RegionDataError(f"line {rec.line}: kelurahan_kode not in the region table")
        self._sites[rec.kelurahan_kode] = site
        return site

    def image_fields(self, foto_sha256: str, tanda_tangan_sha256: str) -> bytes:
        """Fields 26 and 27 (the images' hashes), the last ones of a payload."""
        foto, ttd = self._by_field[-2:]
        return (foto.get(foto_sha256) or self._piece(26, foto_sha256)) + (
            (ttd.get(tanda_tangan_sha256) or self._piece(27, tanda_tangan_sha256))
            if tanda_tangan_sha256 else b"")


def site_fields(regions: RegionTable, code: str) -> tuple[bytes, bytes] | None:
    """A kelurahan's CardRecord fields as serialised: 11-15 (code and names, before agama),
    and 24 (issue_city, after alasan); None when the code is not in `regions`."""
    place = _place(regions, code)
    if place is None:
        return None
    return (_text(11, code) + _text(12, place["kelurahan"]) + _text(13, place["kecamatan"])
            + _text(14, place["kabupaten_kota"]) + _text(15, place["provinsi"]),
            _text(24, place["issue_city"]))


_PIECES_MAX = 50_000
_ONE_BYTE = tuple(bytes((n,)) for n in range(0x80))
# Fields whose encoded form is cached per value, in the order encode() unpacks them.
_CACHED_FIELDS = (4, 5, 6, 7, 9, 10, 16, 17, 18, 19, 20, 26, 27)


def _isoformat(date) -> str:  # noqa: ANN001 - a datetime.date
    return date.isoformat()


def _goldar(value: str) -> str:
    return value or "-"


def _three_digits(value: str) -> str:
    return value.zfill(3)
