"""The doorway to the C core's PRR fast path (src/prr.c): a batch of rows checked in one call,
the lease payloads of the plainly valid ones encoded in another.

The fast path vouches only for rows that are plainly valid (printable ASCII, no padding, every
value inside its rule); it leaves every other row to cetak.prr's rules, which decide and name
problems. What it accepts and encodes is what those rules accept and cetak.prr.cardrecord
encodes, byte for byte: tests/prr/test_native_fast_path.py holds the two side by side.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ._core import ffi, lib
from .core import _raise
from .errors import NativeError

_KELURAHAN = re.compile(r"[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[0-9]{4}").fullmatch
_alloc = ffi.new_allocator(should_clear_after_alloc=False)
_ROW_END, _FIELD_END = "\x1e", "\x1f"


class FastPathError(NativeError):
    """The C core refused a call (a bug in the caller: wrong sizes or tables)."""


@dataclass(frozen=True, slots=True)
class Limits:
    """The rules' bounds the fast path checks against (cetak.prr.schema)."""

    today: dt.date
    earliest_year: int
    nama_max: int
    tempat_max: int
    alamat_max: int
    kerja_max: int


@dataclass(slots=True)
class CheckedRows:
    """One checked batch: per row `kel` (>= 0: plainly valid, the index of its kelurahan in
    `FastPath.kelurahan_codes`; -1: left to the Python rules), the NIK as a number and
    the person key (cetak.prr.text.person_key) of rows with kel >= 0."""

    data: bytes
    kel: list[int]
    nik: list[int]
    person_key: list[int]
    _kel: Any  # the C array, handed to encode()


class FastPath:
    """The fast path of one input: region tables built once, site fields encoded once each.

    `site_fields(code)` gives the encoded CardRecord fields 11-15 and 24 of a kelurahan code
    (cetak.prr.cardrecord); they are asked for the first time a kelurahan is encoded."""

    def __init__(self, kecamatan_prefixes: Iterable[str], kelurahan_codes: Iterable[str],
                 limits: Limits, site_fields: Callable[[str], tuple[bytes, bytes]]) -> None:
        kec = sorted(int(p) for p in kecamatan_prefixes if len(p) == 6 and p.isdigit())
        # Fixed width: sorted as text is sorted as numbers.
        self.kelurahan_codes = sorted(filter(_KELURAHAN, kelurahan_codes))
        kel = [int(code.replace(".", "")) for code in self.kelurahan_codes]
        self._keep = (ffi.new("uint64_t[]", kec), ffi.new("uint64_t[]", kel))
        self._rules = ffi.new("cetak_prr_rules *", {
            "kec": self._keep[0], "n_kec": len(kec), "kel": self._keep[1], "n_kel": len(kel),
            "today": int(limits.today.strftime("%Y%m%d")),
            "earliest_year": limits.earliest_year, "nama_max": limits.nama_max,
            "tempat_max": limits.tempat_max, "alamat_max": limits.alamat_max,
            "kerja_max": limits.kerja_max})
        self._row_max = 256 + (limits.nama_max + limits.tempat_max + limits.alamat_max
                               + limits.kerja_max) * 2
        self._site_fields = site_fields
        self._pieces = bytearray()
        self._site_span = ffi.new("uint32_t[]", 4 * max(1, len(kel)))  # zeroed: none built
        self._longest_site = 0
        self._out: Any = None
        self._err = ffi.new("cetak_error *")

    def check(self, rows: list[tuple[str, ...]]) -> CheckedRows | None:
        """Check rows of values in cetak.prr.schema.FIELDS order; None when the batch cannot
        be handed over whole (a separator character inside a value): the Python rules then
        take every row of it."""
        n = len(rows)
        data = (_ROW_END.join(map(_FIELD_END.join, rows)) + _ROW_END).encode(
            "utf-8", "surrogatepass") if n else b""
        kel = ffi.new("int32_t[]", n)
        nik = ffi.new("int64_t[]", n)
        key = ffi.new("int64_t[]", n)
        rc = lib.cetak_prr_check(ffi.from_buffer(data), len(data), n, self._rules, kel, nik,
                                 key, self._err)
        if rc == lib.CETAK_E_LENGTH:
            return None
        self._raise_if(rc)
        return CheckedRows(data, ffi.unpack(kel, n), ffi.unpack(nik, n), ffi.unpack(key, n), kel)

    def encode(self, checked: CheckedRows, id_prefix: str, first_seq: int
               ) -> tuple[bytes, list[int]]:
        """The CardRecord bytes (all but fields 26 and 27, the images' hashes, which come last)
        of every row with kel >= 0, record id `id_prefix` + hex(first_seq + row) as
        `prepared` numbers them: (bytes, spans) with row r at [spans[2r], + spans[2r+1])."""
        n = len(checked.kel)
        for k in set(checked.kel):
            if k >= 0 and not self._site_span[4 * k + 1]:
                self._add_site(k)
        prefix = id_prefix.encode()
        # Bounded by the fast path's limits, not by the rows' length (a hostile file's long
        # rows are never plain): record id, the four limited texts, the fixed ones, the tags.
        cap = n * (self._row_max + len(prefix) + self._longest_site)
        if self._out is None or len(self._out) < cap:
            self._out = _alloc("uint8_t[]", cap)
        spans = ffi.new("uint32_t[]", 2 * n)
        out_len = ffi.new("size_t *")
        enc = ffi.new("cetak_prr_encoding *", {
            "pieces": ffi.from_buffer(self._pieces), "pieces_len": len(self._pieces),
            "site_span": self._site_span, "n_kel": len(self.kelurahan_codes),
            "id_prefix": ffi.from_buffer(prefix), "id_prefix_len": len(prefix),
            "first_seq": first_seq})
        rc = lib.cetak_prr_encode(ffi.from_buffer(checked.data), len(checked.data), checked._kel,
                                  n, enc, self._out, cap, spans, out_len, self._err)
        self._raise_if(rc)
        return ffi.buffer(self._out, out_len[0])[:], ffi.unpack(spans, 2 * n)

    def _add_site(self, k: int) -> None:
        first, last = self._site_fields(self.kelurahan_codes[k])
        span = self._site_span
        span[4 * k], span[4 * k + 1] = len(self._pieces), len(first)
        self._pieces += first
        span[4 * k + 2], span[4 * k + 3] = len(self._pieces), len(last)
        self._pieces += last
        self._longest_site = max(self._longest_site, len(first) + len(last))

    def _raise_if(self, rc: int) -> None:
        if rc != lib.CETAK_OK:
            _raise(FastPathError, self._err)
