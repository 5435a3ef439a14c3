"""PRR import benchmark: validate (and import) N synthetic records, against a bare baseline.

    python bench/import.py --records 1000000 --json
    -> {"records", "seconds", "records_per_s", "rss_mb", "baseline_seconds", ...}

Target (issue): 1,000,000 records validated and imported in <= 60 s, within 3x the baseline
(csv-module parse + executemany into a bare SQLite table), <= 500 MB RSS.

Phases:
1. generate the input with `cetak.prr.synthetic.write_prr` in a child process (untimed, and
   kept out of this process's peak RSS); reused from --workdir when already there;
2. baseline: `csv.reader` + `executemany` into a bare 19-column SQLite table, streamed in
   chunks, one transaction;
3. measured: `cetak.prr.open_prr` streaming batches through every rule, each batch handed to
   the import hook.

The import hook (`--import`):
- `none`: validation only;
- `bare`: the valid records into a bare SQLite table (a floor for any real store);
- `store` (default): the controller's real import (`cetak.controller.importer.import_file`:
  every rule, duplicate and hold checks, photos hashed and stored once by content, records
  queued) into a fresh SQLite store file, one transaction; validation is inside it (in the
  import's worker process), so `validate_seconds` is not reported apart, and `rss_mb` adds
  the worker's peak;
- `package.module:factory`: `factory(workdir: Path)` returns an object with
  `add(records: list[PrrRecord]) -> None` and `finish(holds: list[Hold]) -> None`
  (and optionally `close()`); this is where the controller store's campaign import plugs in.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path
from typing import Any, Protocol

_CHUNK = 10_000


class ImportHook(Protocol):
    def add(self, records: list[Any]) -> None: ...

    def finish(self, holds: list[Any]) -> None: ...


class BareSqliteImport:
    """Valid records into one bare table: what any store must at least spend."""

    def __init__(self, workdir: Path) -> None:
        from cetak.prr.schema import FIELDS

        path = workdir / "bare-import.sqlite"
        path.unlink(missing_ok=True)
        self._db = sqlite3.connect(path)
        self._db.execute(f"CREATE TABLE record (line INTEGER, {', '.join(FIELDS)})")
        self._db.execute("BEGIN")
        self._sql = f"INSERT INTO record VALUES ({', '.join('?' * (len(FIELDS) + 1))})"

    def add(self, records: list[Any]) -> None:
        self._db.executemany(self._sql, [
            (r.line, r.nik, r.nama, r.tempat_lahir, r.tanggal_lahir.isoformat(),
             r.jenis_kelamin, r.golongan_darah, r.alamat, r.rt, r.rw, r.kelurahan_kode,
             r.agama, r.status_perkawinan, r.pekerjaan, r.kewarganegaraan, r.kategori,
             r.alasan, r.status, r.foto, r.tanda_tangan) for r in records])

    def finish(self, holds: list[Any]) -> None:
        self._db.commit()

    def close(self) -> None:
        self._db.close()


def store_import(path: Path, workdir: Path) -> dict[str, Any]:
    """The controller's import, end to end, into a fresh SQLite store."""
    from cetak.controller.importer import import_file
    from cetak.controller.ledger import Ledger
    from cetak.controller.model import Campaign
    from cetak.controller.store import SqliteStore

    db_path = workdir / "store-import.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    store = SqliteStore(db_path)
    try:
        ledger = Ledger(store)
        now = int(time.time() * 1000)
        ledger.create_campaign(Campaign("bench", "bench", created_ms=now))
        start = time.perf_counter()
        outcome = import_file(ledger, "bench", path, skip_invalid=True, now_ms=now)
        seconds = time.perf_counter() - start
    finally:
        store.close()
    return {"seconds": seconds, "validate_seconds": None, "valid": outcome.valid,
            "invalid": outcome.invalid, "holds": outcome.held,
            "store_mb": round(db_path.stat().st_size / 1024**2, 1),
            "worker_rss_mb": round(outcome.worker_peak_rss_kib / 1024, 1)}


def _hook(spec: str, workdir: Path) -> ImportHook | None:
    if spec == "none":
        return None
    if spec == "bare":
        return BareSqliteImport(workdir)
    module_name, _, attr = spec.partition(":")
    if not attr:
        raise SystemExit("--import must be none, bare or package.module:factory")
    factory = getattr(importlib.import_module(module_name), attr)
    return factory(workdir)


def generate(workdir: Path, records: int, seed: int, fmt: str) -> Path:
    """The input file, written by a child process unless already present."""
    folder = workdir / f"prr-{records}-{seed}"
    path = folder / f"prr.{fmt}"
    if path.exists():
        return path
    code = ("import sys; from cetak.prr.synthetic import write_prr; "
            "write_prr(sys.argv[1], int(sys.argv[2]), seed=int(sys.argv[3]), fmt=sys.argv[4])")
    subprocess.run([sys.executable, "-c", code, str(folder), str(records), str(seed), fmt],
                   check=True)
    return path


def baseline(csv_path: Path, workdir: Path) -> float:
    """Seconds for csv-module parse + executemany into a bare SQLite table."""
    db_path = workdir / "baseline.sqlite"
    db_path.unlink(missing_ok=True)
    start = time.perf_counter()
    db = sqlite3.connect(db_path)
    try:
        with open(csv_path, newline="", encoding="utf-8") as fp:
            reader = csv.reader(fp)
            header = next(reader)
            db.execute(f"CREATE TABLE record ({', '.join(header)})")
            sql = f"INSERT INTO record VALUES ({', '.join('?' * len(header))})"
            db.execute("BEGIN")
            while chunk := list(islice(reader, _CHUNK)):
                db.executemany(sql, chunk)
            db.commit()
    finally:
        db.close()
    return time.perf_counter() - start


def measured(path: Path, hook: ImportHook | None, batch_size: int) -> dict[str, Any]:
    """Validate (and hand to the hook) every record; seconds and counts."""
    from cetak.prr.regions import load_regions
    from cetak.prr.validate import open_prr

    start = time.perf_counter()
    load_regions()  # part of the cost: a fresh process pays it once
    validate_seconds = 0.0
    with open_prr(path, batch_size=batch_size) as run:
        batches = iter(run)
        while True:
            t = time.perf_counter()
            batch = next(batches, None)
            validate_seconds += time.perf_counter() - t
            if batch is None:
                break
            if hook is not None:
                hook.add(batch.records)
        if hook is not None:
            hook.finish(run.holds)
        valid, invalid, holds = run.valid, run.invalid, len(run.holds)
    seconds = time.perf_counter() - start
    if hook is not None and hasattr(hook, "close"):
        hook.close()
    return {"seconds": seconds, "validate_seconds": validate_seconds, "valid": valid,
            "invalid": invalid, "holds": holds}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, required=True)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--workdir", help="keep and reuse generated inputs here")
    parser.add_argument("--import", dest="import_hook", default="store",
                        help="none | bare | store | package.module:factory (see module doc)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="cetak-bench-import-") as tmp:
        workdir = Path(args.workdir) if args.workdir else Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        path = generate(workdir, args.records, args.seed, args.format)
        csv_path = path if args.format == "csv" else generate(
            workdir, args.records, args.seed, "csv")
        base = baseline(csv_path, workdir)
        if args.import_hook == "store":
            result = store_import(path, workdir)
        else:
            result = measured(path, _hook(args.import_hook, workdir), args.batch_size)
        for name in ("baseline.sqlite", "bare-import.sqlite", "store-import.sqlite",
                     "store-import.sqlite-wal", "store-import.sqlite-shm"):
            (workdir / name).unlink(missing_ok=True)

    seconds = result["seconds"]
    out = {
        "records": args.records,
        "seconds": round(seconds, 3),
        "records_per_s": round(args.records / seconds) if seconds else None,
        # This process's peak plus the import worker's (a sum of peaks: an upper bound).
        "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                        + result.get("worker_rss_mb", 0), 1),
        "baseline_seconds": round(base, 3),
        "ratio_to_baseline": round(seconds / base, 2) if base else None,
        "validate_seconds": (round(result["validate_seconds"], 3)
                             if result["validate_seconds"] is not None else None),
        "import": args.import_hook,
        "format": args.format,
        "valid": result["valid"],
        "invalid": result["invalid"],
        "holds": result["holds"],
    }
    for key in ("store_mb", "worker_rss_mb"):
        if key in result:
            out[key] = result[key]
    if args.json:
        print(json.dumps(out))
    else:
        for key, value in out.items():
            print(f"{key:>18}: {value}")
    return 0 if result["invalid"] == 0 else 1


if __name__ == "__main__":
    from cetak.procs import exit_on_termination

    # SIGTERM unwinds like Ctrl-C, so the finally blocks stop every child by pid.
    with exit_on_termination():
        sys.exit(main())
