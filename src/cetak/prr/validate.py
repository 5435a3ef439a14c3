"""Validating a whole PRR input as a stream of batches, with the checks across records.

    with open_prr("export.zip") as run:
        for batch in run:              # Batch(records=[PrrRecord...], errors=[FieldError...])
            store(batch.records)
        run.holds                      # complete once the iteration has ended

Across records: a NIK may appear once (the second occurrence is invalid); the same normalised
name and birth date under different NIKs holds *all* those records for adjudication. They stay
valid (they are yielded), and `holds` lists them at the end, since the first of a pair may be
in an earlier batch. Memory stays bounded per record: a set of NIKs as integers and three
packed arrays (text.person_key, NIK, line), about 100 bytes per record.

`InputUnusable` may also be raised during iteration (a non-UTF-8 line, a broken quote): an
importer must treat the input as all-or-nothing.
"""

from __future__ import annotations

import datetime as dt
import os
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING

from cetak.prr import schema, text
from cetak.prr.errors import InputUnusable
from cetak.prr.media import MediaSource
from cetak.prr.reader import OpenedInput, open_input
from cetak.prr.record import PrrRecord
from cetak.prr.regions import RegionTable, load_regions
from cetak.prr.rules import FieldError, RecordRules

if TYPE_CHECKING:
    from cetak.native.prr import CheckedRows, FastPath

DUPLICATE_NIK = "NIK already appears on an earlier line"
HOLD_REASON = "same name and birth date under different NIKs"


@dataclass(frozen=True, slots=True)
class Hold:
    """Records held for adjudication: the lines (and NIKs) of one possible duplicate person."""

    lines: tuple[int, ...]
    niks: tuple[str, ...]
    reason: str = HOLD_REASON

    def __repr__(self) -> str:
        return f"Hold(lines={self.lines})"


@dataclass(slots=True)
class Batch:
    """Valid records and errors of consecutive lines; `invalid` counts the lines in error."""

    records: list[PrrRecord] = field(default_factory=list)
    errors: list[FieldError] = field(default_factory=list)
    invalid: int = 0
    bytes_read: int = 0
    person_keys: list[int] = field(default_factory=list)  # text.person_key of each record
    # Valid records the native fast path vouched for (open_prr(native=True) only): kept as
    # the file's values, not as PrrRecords; they count as valid like `records`.
    native: NativeRows | None = None


@dataclass(slots=True)
class NativeRows:
    """Records of a batch the native fast path found plainly valid: `checked` is the C core's
    batch (cetak.native.prr.CheckedRows, to encode from); per record its row in `checked`, its
    line, its values (schema.FIELDS order), its image keys (foto, tanda_tangan) and
    text.person_key."""

    checked: CheckedRows
    rows: list[int] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    values: list[tuple[str, ...]] = field(default_factory=list)
    images: list[tuple[str, str]] = field(default_factory=list)
    person_keys: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows)


@dataclass(slots=True)
class ValidationResult:
    """Everything about one input, gathered in memory (use `open_prr` for large files)."""

    format: str
    valid: int
    invalid: int
    errors: list[FieldError]
    holds: list[Hold]
    records: list[PrrRecord]


class ValidationRun:
    """One validation of one input, iterated as batches. Use as a context manager."""

    def __init__(self, opened: OpenedInput, regions: RegionTable, *, batch_size: int,
                 limits: schema.Limits, today: dt.date | None, native: bool = False) -> None:
        self._in = opened
        today = today or dt.date.today()
        self._rules = RecordRules(regions, opened.media, limits, today)
        self._fast = _fast_path(regions, today) if native else None
        self._batch_size = max(1, batch_size)
        self.valid = 0
        self.invalid = 0
        self.holds: list[Hold] = []
        self.finished = False
        self._niks: set[int] = set()
        self._keys = array("q")
        self._key_niks = array("q")
        self._key_lines = array("q")

    @property
    def format(self) -> str:
        return self._in.format

    @property
    def total_bytes(self) -> int:
        return self._in.total_bytes

    @property
    def bytes_read(self) -> int:
        return self._in.bytes_read

    @property
    def media(self) -> MediaSource:
        return self._in.media

    @property
    def fast_path(self) -> FastPath:
        """The native fast path (open_prr(native=True) only), to encode `Batch.native`."""
        assert self._fast is not None
        return self._fast

    def record(self, line: int, values: tuple[str, ...]) -> PrrRecord:
        """The PrrRecord of a row this run found valid (a `Batch.native` row)."""
        record, _ = self._rules.check(line, values)
        assert record is not None
        return record

    def __iter__(self) -> Iterator[Batch]:
        rows = iter(self._in.rows)
        size = self._batch_size
        while True:
            chunk: list = []
            broken: InputUnusable | None = None
            try:
                for row in rows:
                    chunk.append(row)
                    if len(chunk) >= size:
                        break
            except InputUnusable as exc:
                # Hand over what was read before the break so errors are reported in order;
                # the caller then gets the exception (an import must be all-or-nothing).
                broken = exc
            if chunk:
                yield self._count(self._batch(chunk))
            if broken is not None:
                raise broken
            if len(chunk) < size:
                break
        self.holds = self._find_holds()
        self.finished = True

    def _batch(self, chunk: list) -> Batch:
        """The rows of `chunk` checked: by the native fast path where it vouches for a row and
        the row's images were already found valid, by the rules otherwise."""
        batch = Batch()
        check = self._rules.check
        first = self._first
        kel = None
        if self._fast is not None:
            checked = self._fast.check([values for _, values, _ in chunk if values is not None])
            if checked is not None:
                kel, niks, keys = checked.kel, checked.nik, checked.person_key
                native = batch.native = NativeRows(checked)
                known_foto, known_ttd = self._rules.known_images
        j = -1
        for line, values, problem in chunk:
            if values is None:
                assert problem is not None
                batch.errors.append(FieldError(line, problem[0], problem[1]))
                batch.invalid += 1
                continue
            j += 1
            if kel is not None and kel[j] >= 0:
                foto = known_foto.get(values[17])
                ttd = known_ttd.get(values[18]) if values[18] else ""
                if foto is not None and ttd is not None:
                    if first(line, niks[j], keys[j]):
                        native.rows.append(j)
                        native.lines.append(line)
                        native.values.append(values)
                        native.images.append((foto, ttd))
                        native.person_keys.append(keys[j])
                    else:
                        batch.errors.append(FieldError(line, "nik", DUPLICATE_NIK))
                        batch.invalid += 1
                    continue
            record, errors = check(line, values)
            if record is not None:
                key = text.person_key(record.nama, record.tanggal_lahir)
                if first(line, int(record.nik), key):
                    batch.records.append(record)
                    batch.person_keys.append(key)
                    continue
                errors = [FieldError(line, "nik", DUPLICATE_NIK)]
            batch.errors.extend(errors)
            batch.invalid += 1
        return batch

    def _first(self, line: int, nik: int, person_key: int) -> bool:
        """Whether this is the NIK's first valid record in the input (then remembered, with
        its person key for the holds)."""
        if nik in self._niks:
            return False
        self._niks.add(nik)
        self._keys.append(person_key)
        self._key_niks.append(nik)
        self._key_lines.append(line)
        return True

    def _count(self, batch: Batch) -> Batch:
        self.valid += len(batch.records) + (len(batch.native) if batch.native else 0)
        self.invalid += batch.invalid
        batch.bytes_read = self.bytes_read
        return batch

    def _find_holds(self) -> list[Hold]:
        """Groups of records sharing a name key under different NIKs (NIKs are unique here)."""
        import numpy as np

        if len(self._keys) < 2:
            return []
        keys = np.frombuffer(self._keys, dtype=np.int64)
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        same_as_next = sorted_keys[1:] == sorted_keys[:-1]
        if not same_as_next.any():
            return []
        niks = np.frombuffer(self._key_niks, dtype=np.int64)
        lines = np.frombuffer(self._key_lines, dtype=np.int64)
        holds = []
        # Runs of equal keys: start where a key differs from the one before it.
        starts = np.flatnonzero(np.concatenate(([True], ~same_as_next)))
        ends = np.append(starts[1:], len(sorted_keys))
        for start, end in zip(starts, ends, strict=True):
            if end - start < 2:
                continue
            members = sorted(order[start:end], key=lambda i: lines[i])
            holds.append(Hold(tuple(int(lines[i]) for i in members),
                              tuple(f"{int(niks[i]):016d}" for i in members)))
        holds.sort(key=lambda h: h.lines[0])
        return holds

    def close(self) -> None:
        self._in.close()
        # Free the per-record bookkeeping; counts and holds stay readable.
        self._niks = set()
        self._keys = self._key_niks = self._key_lines = array("q")

    def __enter__(self) -> ValidationRun:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def open_prr(path: str | os.PathLike[str], *, regions: RegionTable | None = None,
             batch_size: int = 1000, limits: schema.Limits = schema.DEFAULT_LIMITS,
             today: dt.date | None = None, native: bool = False) -> ValidationRun:
    """Open a .csv, .jsonl, .xlsx or .zip PRR input for validation; InputUnusable when it
    cannot be read at all (missing file, unknown or missing columns, unsafe archive).

    With `native` the C core checks plainly valid rows and yields them as `Batch.native`
    (values, no PrrRecord): for callers that count or encode, not for ones that read records."""
    opened = open_input(path, limits)
    try:
        return ValidationRun(opened, regions or load_regions(), batch_size=batch_size,
                             limits=limits, today=today, native=native)
    except BaseException:
        opened.close()
        raise


def _fast_path(regions: RegionTable, today: dt.date) -> FastPath:
    from cetak.native.prr import FastPath, Limits
    from cetak.prr.cardrecord import site_fields

    def fields(code: str) -> tuple[bytes, bytes]:
        site = site_fields(regions, code)
        assert site is not None  # the codes are the table's own
        return site

    return FastPath(regions.kecamatan_nik_prefixes, regions.kelurahan_codes,
                    Limits(today, schema.EARLIEST_BIRTH_YEAR, schema.NAMA_MAX,
                           schema.TEMPAT_LAHIR_MAX, schema.ALAMAT_MAX, schema.PEKERJAAN_MAX),
                    fields)


def validate_file(path: str | os.PathLike[str], *, regions: RegionTable | None = None,
                  limits: schema.Limits = schema.DEFAULT_LIMITS,
                  today: dt.date | None = None, keep_records: bool = False) -> ValidationResult:
    """Validate a whole input in memory: errors (and records when asked) in one result."""
    errors: list[FieldError] = []
    records: list[PrrRecord] = []
    with open_prr(path, regions=regions, limits=limits, today=today) as run:
        for batch in run:
            errors.extend(batch.errors)
            if keep_records:
                records.extend(batch.records)
        return ValidationResult(run.format, run.valid, run.invalid, errors, run.holds, records)
