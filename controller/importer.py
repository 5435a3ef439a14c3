"""Import a PRR file into a campaign: validate, de-duplicate, hold possible duplicates, queue.

All-or-nothing by default: any invalid record refuses the whole file and nothing changes.
With skip_invalid the valid records are imported and the rest reported. Runs inside one store
transaction, so a failure half-way leaves the store as it was.
"""

from __future__ import annotations

import itertools
import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .ledger import Ledger, LedgerError
from .media import sha256_hex

BATCH = 2000
ALREADY_PRINTED = "already printed in an earlier campaign: a replacement needs PENGGANTIAN"
ALREADY_IN_CAMPAIGN = "NIK already in this campaign"
HOLD_REASON = "possible_duplicate_person"


class ImportRefused(Exception):
    """The input cannot be imported at all (unusable file); nothing changed."""


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    reason: str


@dataclass
class ImportOutcome:
    valid: int = 0
    invalid: int = 0
    imported: int = 0
    held: int = 0
    errors: list[RowError] = field(default_factory=list)


def import_file(ledger: Ledger, campaign_id: str, path: Path, skip_invalid: bool,
                now_ms: int, *, writer_thread: bool = True) -> ImportOutcome:
    """Validate and queue a PRR file in one store transaction (see the module doc).

    With `writer_thread` the store writes run on a second thread while this one validates
    the next batch; the rows written are the same either way."""
    from cetak.prr.cardrecord import CardRecordEncoder
    from cetak.prr.errors import InputUnusable, PrrError
    from cetak.prr.regions import load_regions
    from cetak.prr.validate import open_prr

    store = ledger.store
    if store.get_campaign(campaign_id) is None:
        raise LedgerError(f"no campaign {campaign_id!r}")
    regions = load_regions()
    encoder = CardRecordEncoder(regions)
    out = ImportOutcome()
    images = _Images()
    known = images.known
    # Record ids: a random prefix per import, then a counter. Ids in insertion order append
    # to the primary-key index instead of landing at random pages (uuid4 ids made the insert
    # the slowest step of a million-record import).
    id_prefix = "r" + os.urandom(5).hex()[:9]
    sequence = itertools.count()
    # A campaign without records cannot hold a NIK of this file (the file's own duplicates
    # are the validator's); nothing printed anywhere means no earlier card to replace.
    checks = _Checks(
        in_campaign=bool(store.record_counts(campaign_id)),
        printed_elsewhere=any(state == "printed" for other in store.list_campaigns()
                              if other.campaign_id != campaign_id
                              for _, state, _ in store.record_counts(other.campaign_id)))
    try:
        run = open_prr(path, regions=regions, batch_size=BATCH)
    except InputUnusable as exc:
        raise ImportRefused(str(exc)) from exc
    with store.bulk_load(), store.transaction():
        with run:
            writer = _Writer(store, threaded=writer_thread)
            try:
                for batch in run:
                    out.errors += [RowError(e.line, e.field, e.reason) for e in batch.errors]
                    out.invalid += batch.invalid
                    accepted = _accept(store, campaign_id, batch.records, out, checks,
                                       call=writer.call)
                    rows = []
                    for rec in accepted:
                        record_id = f"{id_prefix}{next(sequence):07x}"
                        try:
                            # Known paths (nearly all) without a call: see _Images.known.
                            foto = known.get(rec.foto)
                            if foto is None:
                                foto = images.sha(rec, rec.foto, "foto")
                            ttd = known.get(rec.tanda_tangan)
                            if ttd is None:
                                ttd = images.sha(rec, rec.tanda_tangan, "tanda_tangan")
                            payload = encoder.encode(rec, record_id, foto, ttd)
                        except PrrError as exc:
                            out.invalid += 1
                            out.errors.append(RowError(rec.line, "foto", str(exc)))
                            continue
                        rows.append((record_id, rec.nik, rec.kelurahan_kode, rec.kategori,
                                     rec.alasan, payload))
                    new_media = images.take_new()
                    if new_media:
                        writer.submit(store.insert_media, new_media, now_ms)
                    if rows:
                        writer.submit(store.queue_records, campaign_id, rows, now_ms)
                        out.imported += len(rows)
                writer.finish()  # every row written, or the writer's error raised here
            except InputUnusable as exc:
                raise ImportRefused(str(exc)) from exc
            finally:
                # Before the transaction ends either way: nothing may still be writing when
                # it rolls back (rows already handed over are undone with the rest).
                writer.stop()
            # By NIK, in the store: a NIK -> record id map of a million records would cost
            # more memory than the whole rest of the import.
            out.held += store.hold_records_by_nik(
                campaign_id, [nik for hold in run.holds for nik in hold.niks], HOLD_REASON)
        out.valid = out.imported
        ledger.audit("admin", "records.import", campaign_id=campaign_id,
                     imported=out.imported, invalid=out.invalid, held=out.held,
                     skip_invalid=skip_invalid)
        out.errors.sort(key=lambda e: (e.line, e.field))
        if out.invalid and not skip_invalid:
            # All-or-nothing: leaving the transaction by exception rolls every insert back.
            raise _Refused(out)
    return out


_STOP = object()


class _Writer:
    """The one user of the store while an import streams: store calls run in order on a
    thread of their own, so writing a batch overlaps validating the next one (2 cores).

    The writer works inside the caller's open transaction (same connection); the caller
    touches the store only through `call` until `stop` has returned. After a failed call the
    rest is skipped and the error is raised in the caller at its next `submit`, `call` or
    `finish`. The queue is short: at most DEPTH batches wait, which bounds memory and makes
    the caller wait when the store is the slower side. `threaded=False` runs every call at
    once, in the caller's thread (same calls, same order).
    """

    DEPTH = 4

    def __init__(self, store, *, threaded: bool = True) -> None:  # noqa: ANN001
        self._jobs: queue.Queue = queue.Queue(maxsize=self.DEPTH)
        self._error: BaseException | None = None
        self._stopping = False
        self._thread: threading.Thread | None = None
        if threaded:
            self._thread = threading.Thread(target=self._run, name="import-writer",
                                            daemon=True)
            self._thread.start()

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run `fn(*args)` after everything submitted before; do not wait for it."""
        self._raise_error()
        if self._thread is None:
            fn(*args)
        else:
            self._jobs.put((fn, args, None))

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run `fn(*args)` after everything submitted before, and return its result."""
        self._raise_error()
        if self._thread is None:
            return fn(*args)
        done: Future = Future()
        self._jobs.put((fn, args, done))
        return done.result()  # fn's error, or the one that made the writer skip it

    def finish(self) -> None:
        """Wait until everything submitted is written; the writer's error, if any, here."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._jobs.put(_STOP)
            thread.join()
        self._raise_error()

    def stop(self) -> None:
        """Stop without running what is still queued (the import failed); idempotent."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stopping = True  # the thread skips whatever it still takes from the queue
        while True:  # room for the stop marker, whatever the thread is doing
            try:
                _, _, done = self._jobs.get_nowait()
            except queue.Empty:
                break
            if done is not None:
                done.cancel()
        self._jobs.put(_STOP)
        thread.join()

    def _raise_error(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is _STOP:
                return
            fn, args, done = job
            if self._stopping or self._error is not None:
                if done is not None:
                    done.set_exception(self._error or _Stopped())
                continue
            try:
                result = fn(*args)
            except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread
                self._error = exc
                if done is not None:
                    done.set_exception(exc)
                continue
            if done is not None:
                done.set_result(result)


class _Stopped(Exception):
    """A store call skipped because the import was stopped."""


class _Images:
    """Each distinct image file of one import read and hashed once (synthetic and real
    exports share placeholder photos by path); new content is handed to the store in batches.
    Memory: one hash per distinct path, plus the bytes of images not yet stored."""

    def __init__(self) -> None:
        # Path -> sha256 of every image read so far, and "" -> "" (no image): callers may
        # look here first and call sha() only on a miss.
        self.known: dict[str, str] = {"": ""}
        self._by_key = self.known
        self._new: dict[str, bytes] = {}

    def sha(self, rec, key: str, field: str) -> str:
        if not key:
            return ""
        sha = self._by_key.get(key)
        if sha is None:
            from cetak.prr.cardrecord import load_image

            data = load_image(rec, key, field)
            sha = sha256_hex(data)
            self._by_key[key] = sha
            self._new.setdefault(sha, data)
        return sha

    def take_new(self) -> list[tuple[str, bytes]]:
        new, self._new = list(self._new.items()), {}
        return new


class _Refused(Exception):
    def __init__(self, outcome: ImportOutcome) -> None:
        super().__init__("import refused")
        self.outcome = outcome


@dataclass(frozen=True)
class _Checks:
    in_campaign: bool = True
    printed_elsewhere: bool = True


def _direct(fn: Callable[..., Any], *args: Any) -> Any:
    return fn(*args)


def _accept(store, campaign_id: str, records: list, out: ImportOutcome,
            checks: _Checks = _Checks(), call: Callable[..., Any] = _direct) -> list:
    """Drop records whose NIK is already in the campaign, or printed before as a BARU.
    Store queries go through `call` (the import's writer, when it has one)."""
    if not records or not (checks.in_campaign or checks.printed_elsewhere):
        return records  # nothing to drop (a first import): no per-record pass
    niks = [r.nik for r in records]
    in_campaign = (call(store.niks_in_campaign, campaign_id, niks) if checks.in_campaign
                   else set())
    printed_before = (call(store.niks_printed_elsewhere, campaign_id, niks)
                      if checks.printed_elsewhere else set())
    accepted = []
    for r in records:
        if r.nik in in_campaign:
            out.invalid += 1
            out.errors.append(RowError(r.line, "nik", ALREADY_IN_CAMPAIGN))
        elif r.nik in printed_before and r.kategori != "PENGGANTIAN":
            out.invalid += 1
            out.errors.append(RowError(r.line, "kategori", ALREADY_PRINTED))
        else:
            accepted.append(r)
    return accepted


def import_or_report(ledger: Ledger, campaign_id: str, path: Path, skip_invalid: bool,
                     now_ms: int) -> ImportOutcome:
    """import_file, but a refused all-or-nothing import returns its report (nothing imported)."""
    try:
        return import_file(ledger, campaign_id, path, skip_invalid, now_ms)
    except _Refused as refused:
        outcome = refused.outcome
        outcome.imported = outcome.held = 0
        return outcome
