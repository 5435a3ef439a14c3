"""`cetak record ...`: validate PRR files, generate synthetic ones.

Exit codes of `validate`: 0 all records valid, 1 some invalid, 2 the input is unusable.
With `--json`, stdout carries one JSON object, streamed so a million errors never sit in
memory: {"errors": [{"line", "field", "reason"}...], "held": [{"lines", "reason"}...],
"valid": N, "invalid": M} and, for an unusable input, "unusable": {"reason", "line"}.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

EXIT_VALID, EXIT_INVALID, EXIT_UNUSABLE = 0, 1, 2
_PROGRESS_MIN_BYTES = 4 * 1024 * 1024


def add_subcommands(sub: argparse._SubParsersAction) -> None:
    """Add the file subcommands (`validate`, `generate`) to the `record` group's `sub`.

    The group itself is built by cetak.controller.record_cli, which adds the lookups over the
    admin API: the controller sits above the PRR format, not the other way round.
    """

    validate = sub.add_parser(
        "validate", help="check a PRR file (.csv, .jsonl, .xlsx or .zip) against every rule",
        description="Check a PRR file against every rule of the PRR format. Exit 0 when all "
                    "records are valid, 1 when some are invalid, 2 when the input is unusable.")
    validate.add_argument("file", metavar="FILE")
    validate.add_argument("--json", action="store_true",
                          help='print one JSON object {"valid","invalid","errors",...}')
    validate.set_defaults(handler=_validate)

    generate = sub.add_parser(
        "generate", help="write synthetic valid PRR records for Depok kelurahan",
        description="Write COUNT synthetic, valid PRR records (deterministic from the seed) "
                    "as prr.csv or prr.jsonl with foto/ and ttd/ images into DIR.")
    generate.add_argument("--count", type=int, required=True, metavar="N")
    generate.add_argument("--out", required=True, metavar="DIR")
    generate.add_argument("--sites", nargs="+", metavar="KODE",
                          help="kelurahan codes PP.RR.SS.NNNN (default: all 63 of Depok)")
    generate.add_argument("--seed", type=int, default=0)
    generate.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    generate.add_argument("--json", action="store_true", help="print {path, count} as JSON")
    generate.set_defaults(handler=_generate)


class _JsonOut:
    """Writes the result object piece by piece (errors first, counts last)."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._first = True
        out.write('{"errors":[')

    def error(self, line: int, field: str, reason: str) -> None:
        self._out.write(("" if self._first else ",")
                        + json.dumps({"line": line, "field": field, "reason": reason}))
        self._first = False

    def finish(self, **tail: object) -> None:
        self._out.write("]," + json.dumps(tail)[1:] + "\n")


def _validate(args: argparse.Namespace) -> int:
    from cetak.prr.errors import InputUnusable
    from cetak.prr.validate import open_prr

    out = sys.stdout
    as_json = _JsonOut(out) if args.json else None
    valid = invalid = 0
    try:
        # Counts and errors only: the native fast path may vouch for plainly valid rows.
        with open_prr(args.file, native=True) as run, _progress(run.total_bytes) as advance:
            for batch in run:
                for e in batch.errors:
                    if as_json:
                        as_json.error(e.line, e.field, e.reason)
                    else:
                        out.write(f"line {e.line}: {e.field}: {e.reason}\n")
                valid, invalid = run.valid, run.invalid
                advance(batch.bytes_read)
            holds = run.holds
    except InputUnusable as exc:
        print(f"cetak record validate: input unusable: {exc}", file=sys.stderr)
        if as_json:
            as_json.finish(held=[], valid=valid, invalid=invalid,
                           unusable={"reason": exc.reason, "line": exc.line})
        return EXIT_UNUSABLE
    held = [{"lines": list(h.lines), "reason": h.reason} for h in holds]
    if as_json:
        as_json.finish(held=held, valid=valid, invalid=invalid)
    else:
        for h in held:
            out.write(f"lines {', '.join(map(str, h['lines']))}: held: {h['reason']}\n")
        held_count = sum(len(h["lines"]) for h in held)
        out.write(f"{valid} valid ({held_count} held for adjudication), {invalid} invalid\n")
    return EXIT_INVALID if invalid else EXIT_VALID


class _progress:
    """A rich progress bar on stderr for long inputs when stderr is a terminal; else nothing."""

    def __init__(self, total: int) -> None:
        self._total = total
        self._bar = None

    def __enter__(self):  # noqa: ANN204 - returns the advance callback
        if self._total >= _PROGRESS_MIN_BYTES and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

            self._bar = Progress("validating", BarColumn(), DownloadColumn(),
                                 TimeRemainingColumn(), console=Console(stderr=True),
                                 transient=True)
            self._bar.start()
            task = self._bar.add_task("validate", total=self._total)
            return lambda done: self._bar.update(task, completed=done)
        return lambda done: None

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


def _generate(args: argparse.Namespace) -> int:
    from cetak.prr.regions import load_regions
    from cetak.prr.synthetic import write_prr

    if args.count < 0:
        print("cetak record generate: --count must be 0 or more", file=sys.stderr)
        return EXIT_UNUSABLE
    table = load_regions()
    unknown = [s for s in args.sites or () if not table.has_kelurahan(s)]
    if unknown:
        print(f"cetak record generate: not kelurahan codes: {', '.join(unknown)}",
              file=sys.stderr)
        return EXIT_UNUSABLE
    path = write_prr(args.out, args.count, sites=args.sites, seed=args.seed, fmt=args.format)
    if args.json:
        print(json.dumps({"path": str(path), "count": args.count}))
    else:
        print(path)
    return EXIT_VALID
