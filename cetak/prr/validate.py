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

from cetak.prr import schema, text
from cetak.prr.errors import InputUnusable
from cetak.prr.media import MediaSource
from cetak.prr.reader import OpenedInput, open_input
from cetak.prr.record import PrrRecord
from cetak.prr.regions import RegionTable, load_regions
from cetak.prr.rules import FieldError, RecordRules

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
                 limits: schema.Limits, today: dt.date | None) -> None:
        self._in = opened
        self._rules = RecordRules(regions, opened.media, limits, today)
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
        return self._in.lines.bytes_read

    @property
    def media(self) -> MediaSource:
        return self._in.media

    def __iter__(self) -> Iterator[Batch]:
        check = self._rules.check
        niks = self._niks
        keys_append = self._keys.append
        key_niks_append = self._key_niks.append
        key_lines_append = self._key_lines.append
        person_key = text.person_key
        batch = Batch()
        rows = iter(self._in.rows)
        while True:
            try:
                line, values, problem = next(rows)
            except StopIteration:
                break
            except InputUnusable:
                # Hand over what was read before the break so errors are reported in order;
                # the caller then gets the exception (an import must be all-or-nothing).
                if batch.records or batch.invalid:
                    yield self._count(batch)
                raise
            if values is None:
                assert problem is not None
                batch.errors.append(FieldError(line, problem[0], problem[1]))
                batch.invalid += 1
            else:
                record, errors = check(line, values)
                if record is not None:
                    nik_int = int(record.nik)
                    if nik_int in niks:
                        record = None
                        errors = [FieldError(line, "nik", DUPLICATE_NIK)]
                    else:
                        niks.add(nik_int)
                        key = person_key(record.nama, record.tanggal_lahir)
                        keys_append(key)
                        batch.person_keys.append(key)
                        key_niks_append(nik_int)
                        key_lines_append(line)
                if record is None:
                    batch.errors.extend(errors)
                    batch.invalid += 1
                else:
                    batch.records.append(record)
            if len(batch.records) + batch.invalid >= self._batch_size:
                yield self._count(batch)
                batch = Batch()
        if batch.records or batch.invalid:
            yield self._count(batch)
        self.holds = self._find_holds()
        self.finished = True

    def _count(self, batch: Batch) -> Batch:
        self.valid += len(batch.records)
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
             today: dt.date | None = None) -> ValidationRun:
    """Open a .csv, .jsonl or .zip PRR input for validation; InputUnusable when it cannot be
    read at all (missing file, unknown or missing columns, unsafe archive)."""
    opened = open_input(path, limits)
    try:
        return ValidationRun(opened, regions or load_regions(), batch_size=batch_size,
                             limits=limits, today=today)
    except BaseException:
        opened.close()
        raise


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
