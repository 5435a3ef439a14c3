"""The CPU half of an import: validate a PRR file and turn its records into store rows.

`prepared(path, id_prefix)` yields `Prepared` batches (rows ready for `queue_records`, their
lines, the errors, new image content) and last an `End` (holds, peak memory). The importer
writes them to the store. It runs the same generator either in its own thread (small files)
or in a worker process (`python -m cetak.controller.import_prepare`): validating and encoding
a million records is as much CPU as writing them, and the store's connection and transaction
stay in the controller. A second process is the only way the two halves use both cores; a
thread next to the writer shared one GIL and bought ~20 %.

The worker speaks pickle frames on stdout, one per batch; the parent started it and trusts
it. Nothing in a frame reaches logs: rows hold personal data and stay between the two
processes and the store.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import os
import pickle
import resource
import subprocess
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .media import sha256_hex

if TYPE_CHECKING:
    from cetak.prr.cardrecord import CardRecordEncoder
    from cetak.prr.validate import NativeRows, ValidationRun

# Files from this size on are prepared in a worker process; below it the process start
# (~0.2 s) costs more than the overlap saves.
WORKER_MIN_BYTES = 4 * 1024 * 1024
PIPE_BYTES = 1024 * 1024  # Linux's default pipe-max-size for unprivileged processes


@dataclass(slots=True)
class Prepared:
    """One batch: `rows` (record_id, nik, site_code, kategori, alasan, payload, person_key)
    in file order, `lines` their physical lines, `errors` (line, field, reason), `invalid` the
    lines in error, `media` image content (sha256, bytes) not seen before in this import."""

    rows: list[tuple[str, str, str, str, str, bytes, int]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    errors: list[tuple[int, str, str]] = field(default_factory=list)
    invalid: int = 0
    media: list[tuple[str, bytes]] = field(default_factory=list)


@dataclass(slots=True)
class End:
    """After the last batch: the holds (NIK tuples of possible duplicate persons)."""

    holds: list[tuple[str, ...]]
    peak_rss_kib: int = 0  # the worker process's, filled in by the worker


class Unusable(Exception):
    """The input cannot be imported at all (the validator's InputUnusable, as text)."""


class WorkerFailed(Exception):
    """The worker process stopped without finishing (a crash, a kill, out of memory)."""


def prepared(path: Path, id_prefix: str, batch_size: int, *, native: bool = True
             ) -> Iterator[Prepared | End]:
    """Validate `path` and build the store rows of its valid records, batch by batch.

    With `native` (the default) the C core checks and encodes plainly valid rows (nearly all
    of a real export) and the rules and CardRecordEncoder take the rest; the rows are the same
    either way (tests/controller compare them).

    Record ids are `id_prefix` and a counter: in import order, they append to the primary key
    index instead of landing at random pages (uuid4 ids made the insert the slowest step).
    Unusable when the input cannot be read, also after batches were yielded."""
    from cetak.prr.cardrecord import CardRecordEncoder
    from cetak.prr.errors import InputUnusable, PrrError
    from cetak.prr.regions import load_regions
    from cetak.prr.validate import open_prr

    regions = load_regions()
    encoder = CardRecordEncoder(regions)
    images = _Images()
    known = images.known
    sequence = itertools.count()
    try:
        run = open_prr(path, regions=regions, batch_size=batch_size, native=native)
    except InputUnusable as exc:
        raise Unusable(str(exc)) from None
    with run:
        try:
            for batch in run:
                out = Prepared(errors=[(e.line, e.field, e.reason) for e in batch.errors],
                               invalid=batch.invalid)
                rows, lines = out.rows, out.lines
                for rec, person_key in zip(batch.records, batch.person_keys, strict=True):
                    record_id = f"{id_prefix}{next(sequence):07x}"
                    try:
                        # Known paths (nearly all) without a call: see _Images.known.
                        foto = known.get(rec.foto)
                        ttd = known.get(rec.tanda_tangan)
                        if foto is None or ttd is None:
                            foto, ttd = images.shas(rec)
                        payload = encoder.encode(rec, record_id, foto, ttd)
                    except PrrError as exc:
                        out.invalid += 1
                        out.errors.append((rec.line, "foto", str(exc)))
                        continue
                    rows.append((record_id, rec.nik, rec.kelurahan_kode, rec.kategori,
                                 rec.alasan, payload, person_key))
                    lines.append(rec.line)
                if batch.native:
                    sequence = itertools.count(_add_native(
                        batch.native, run, out, encoder, images, id_prefix, next(sequence)))
                out.media = images.take_new()
                yield out
        except InputUnusable as exc:
            raise Unusable(str(exc)) from None
        holds = [hold.niks for hold in run.holds]
    yield End(holds)


def _add_native(native: NativeRows, run: ValidationRun, out: Prepared,
                encoder: CardRecordEncoder, images: _Images, id_prefix: str,
                first_seq: int) -> int:
    """The rows of the records the native fast path vouched for, merged into `out` in line
    order; returns the next free record number. Row j of the C batch is numbered
    first_seq + j: unique, and in import order batch by batch (what the primary key needs)."""
    from cetak.prr.errors import PrrError

    checked = native.checked
    data, spans = run.fast_path.encode(checked, id_prefix, first_seq)
    known = images.known
    tails: dict[tuple[str, str], bytes] = {}
    rows, lines = out.rows, out.lines
    merge = bool(rows)
    for j, line, values, keys, person_key in zip(
            native.rows, native.lines, native.values, native.images, native.person_keys,
            strict=True):
        tail = tails.get(keys)
        if tail is None:
            foto, ttd = known.get(keys[0]), known.get(keys[1])
            if foto is None or ttd is None:
                # Found valid by the rules on an earlier line whose record was not imported
                # (a duplicate NIK): not read yet.
                try:
                    foto, ttd = images.shas(run.record(line, values))
                except PrrError as exc:
                    out.invalid += 1
                    out.errors.append((line, "foto", str(exc)))
                    continue
            tail = tails[keys] = encoder.image_fields(foto, ttd)
        start = spans[2 * j]
        rows.append((f"{id_prefix}{first_seq + j:07x}", values[0], values[9], values[14],
                     values[15], data[start:start + spans[2 * j + 1]] + tail, person_key))
        lines.append(line)
    if merge and native.rows:
        order = sorted(range(len(rows)), key=lines.__getitem__)
        out.rows[:] = [rows[i] for i in order]
        out.lines[:] = [lines[i] for i in order]
    return first_seq + len(checked.kel)


class _Images:
    """Each distinct image file of one import read and hashed once (synthetic and real
    exports share placeholder photos by path); new content is handed on in batches.
    Memory: one hash per distinct path, plus the bytes of images not yet handed on."""

    def __init__(self) -> None:
        # Path -> sha256 of every image read so far, and "" -> "" (no image): callers may
        # look here first and call sha() only on a miss.
        self.known: dict[str, str] = {"": ""}
        self._new: dict[str, bytes] = {}

    def sha(self, rec, key: str, field: str) -> str:  # noqa: ANN001 - a PrrRecord
        if not key:
            return ""
        sha = self.known.get(key)
        if sha is None:
            from cetak.prr.cardrecord import load_image

            data = load_image(rec, key, field)
            sha = sha256_hex(data)
            self.known[key] = sha
            self._new.setdefault(sha, data)
        return sha

    def shas(self, rec) -> tuple[str, str]:  # noqa: ANN001 - a PrrRecord
        """The hashes of a record's foto and tanda_tangan (read now if not seen yet)."""
        return self.sha(rec, rec.foto, "foto"), self.sha(rec, rec.tanda_tangan, "tanda_tangan")

    def take_new(self) -> list[tuple[str, bytes]]:
        new, self._new = list(self._new.items()), {}
        return new


class WorkerBatches:
    """`prepared(...)` computed by a worker process, read frame by frame. Use as a context
    manager: leaving it stops the worker (by pid) whatever state it is in."""

    def __init__(self, path: Path, id_prefix: str, batch_size: int) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", __name__, os.fspath(path), id_prefix, str(batch_size)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
        with contextlib.suppress(OSError, AttributeError):
            # Room for a whole batch in the pipe: the worker goes on with the next batch
            # while this side is still writing the last one (64 KiB made them take turns).
            fcntl.fcntl(self._proc.stdout.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)

    def __iter__(self) -> Iterator[Prepared | End]:
        stdout = self._proc.stdout
        assert stdout is not None
        while True:
            try:
                kind, item = pickle.load(stdout)
            except (EOFError, pickle.UnpicklingError, OSError):
                code = self._proc.wait()
                raise WorkerFailed(f"import worker stopped (exit code {code})") from None
            if kind == "batch":
                yield item
            elif kind == "end":
                yield item
                return
            elif kind == "unusable":
                raise Unusable(item)
            else:
                raise WorkerFailed(f"import worker failed: {item}")

    def close(self) -> None:
        proc = self._proc
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()

    def __enter__(self) -> WorkerBatches:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _worker_main(argv: list[str]) -> int:
    path, id_prefix, batch_size = Path(argv[0]), argv[1], int(argv[2])
    out = sys.stdout.buffer
    dump = pickle.dump
    try:
        for item in prepared(path, id_prefix, batch_size):
            if isinstance(item, End):
                item.peak_rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                dump(("end", item), out, protocol=pickle.HIGHEST_PROTOCOL)
            else:
                dump(("batch", item), out, protocol=pickle.HIGHEST_PROTOCOL)
    except Unusable as exc:
        dump(("unusable", str(exc)), out)
    except BrokenPipeError:
        return 1  # the importer went away: nothing to tell it
    except Exception as exc:  # noqa: BLE001 - reported to the importer, by type only
        # Frames without the message: a message may quote a value from the file.
        traceback.print_tb(exc.__traceback__, file=sys.stderr)
        dump(("failed", type(exc).__name__), out)
        return 1
    out.flush()
    return 0


if __name__ == "__main__":
    # Frames must name this module by its package path, not "__main__", to load in the
    # importer: run the worker from the module imported under that name.
    from cetak.controller import import_prepare

    sys.exit(import_prepare._worker_main(sys.argv[1:]))
