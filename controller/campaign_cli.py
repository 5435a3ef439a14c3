"""`cetak campaign ...`: create, import, status (over the admin API) and verify (on the store)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path

from cetak.client import add_connection_options, channel_from_args, rpc_failure

CHUNK = 1024 * 1024


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    create = sub.add_parser("create", help="create a campaign")
    create.add_argument("campaign")
    create.add_argument("--name", default="")
    create.add_argument("--deadline", help="ISO date-time, e.g. 2026-12-01T17:00+07:00")
    create.add_argument("--budget-baru", type=int, default=0)
    create.add_argument("--budget-penggantian", type=int, default=0)
    add_connection_options(create)
    create.set_defaults(handler=_create)

    imp = sub.add_parser("import", help="import a PRR file (CSV, JSON Lines or .zip)")
    imp.add_argument("campaign")
    imp.add_argument("file", type=Path)
    imp.add_argument("--skip-invalid", action="store_true",
                     help="import the valid records and report the rest")
    imp.add_argument("--json", action="store_true")
    add_connection_options(imp)
    imp.set_defaults(handler=_import)

    status = sub.add_parser("status", help="progress per site and the deadline forecast")
    status.add_argument("campaign")
    status.add_argument("--json", action="store_true")
    add_connection_options(status)
    status.set_defaults(handler=_status)

    report = sub.add_parser("report", help="per-site progress as progress.csv and a "
                                           "progress.png chart (printed vs target)")
    report.add_argument("campaign")
    report.add_argument("--out", type=Path, required=True, metavar="DIR")
    report.add_argument("--json", action="store_true", help="print the files written as JSON")
    add_connection_options(report)
    report.set_defaults(handler=_report)

    verify = sub.add_parser("verify", help="check every ledger invariant in the store")
    verify.add_argument("--store", required=True, help="store URL or SQLite file")
    verify.add_argument("--json", action="store_true")
    verify.add_argument("--recount-totals", action="store_true",
                        help="first set the attempt totals to a recount of the attempts (the "
                             "repair for an attempt_totals violation; audited)")
    verify.set_defaults(handler=_verify)


def _fail(message: str, code: int = 2) -> int:
    print(f"cetak campaign: {message}", file=sys.stderr)
    return code


def _rpc_error(exc) -> int:
    return rpc_failure("campaign", exc)


def _create(args: argparse.Namespace) -> int:
    import grpc

    from cetak.api.v1 import admin_pb2, admin_pb2_grpc

    deadline_ms = 0
    if args.deadline:
        try:
            deadline_ms = int(datetime.fromisoformat(args.deadline).timestamp() * 1000)
        except ValueError:
            return _fail("--deadline: not an ISO date-time")
    stub = admin_pb2_grpc.AdminServiceStub(channel_from_args(args))
    try:
        c = stub.CreateCampaign(admin_pb2.CreateCampaignRequest(campaign=admin_pb2.Campaign(
            campaign_id=args.campaign, name=args.name, deadline_ms=deadline_ms,
            budget_baru=args.budget_baru, budget_penggantian=args.budget_penggantian)))
    except grpc.RpcError as exc:
        return _rpc_error(exc)
    print(f"created campaign {c.campaign_id}", file=sys.stderr)
    return 0


def import_chunks(campaign: str, path: Path, skip_invalid: bool):
    from cetak.api.v1 import admin_pb2

    fmt = {".csv": "csv", ".jsonl": "jsonl", ".zip": "zip"}.get(path.suffix.lower(), "csv")
    yield admin_pb2.ImportChunk(header=admin_pb2.ImportHeader(
        campaign_id=campaign, format=fmt, skip_invalid=skip_invalid, filename=path.name))
    with path.open("rb") as f, _upload_progress(path.stat().st_size) as advance:
        while block := f.read(CHUNK):
            advance(len(block))
            yield admin_pb2.ImportChunk(data=block)


class _upload_progress:
    """A rich progress bar on stderr while a large file is sent, when stderr is a terminal
    (the controller validates as it stores, so the bar ends where the server's work starts)."""

    def __init__(self, total: int) -> None:
        self._total = total
        self._bar = None

    def __enter__(self):  # noqa: ANN204 - returns the advance callback
        if self._total >= 4 * CHUNK and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

            self._bar = Progress("uploading", BarColumn(), DownloadColumn(),
                                 TimeRemainingColumn(), console=Console(stderr=True),
                                 transient=True)
            self._bar.start()
            task = self._bar.add_task("upload", total=self._total)
            return lambda n: self._bar.update(task, advance=n)
        return lambda n: None

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


def _then(chunks, callback):
    """The chunks, then `callback()` once the last one has been taken (upload finished)."""
    yield from chunks
    callback()


class _Waiting:
    """A spinner on stderr (terminals only) from when the upload ends until the answer."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._status = None

    def start(self) -> None:
        if sys.stderr.isatty():
            from rich.console import Console

            self._status = Console(stderr=True).status(self._text)
            self._status.start()

    def stop(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None


def _import(args: argparse.Namespace) -> int:
    import tempfile

    import grpc

    from cetak.api.v1 import admin_pb2_grpc
    from cetak.prr.bundle import bundle_prr

    if not args.file.is_file():
        return _fail(f"{args.file}: no such file")
    stub = admin_pb2_grpc.AdminServiceStub(channel_from_args(args))
    with tempfile.TemporaryDirectory(prefix="cetak-upload-") as tmp:
        upload = args.file
        if args.file.suffix.lower() != ".zip":
            # A CSV/JSONL names its photos by path: send them along in one archive.
            upload = bundle_prr(args.file, Path(tmp) / "upload.zip")
        try:
            waiting = _Waiting("the controller is validating and importing")
            try:
                r = stub.ImportRecords(_then(import_chunks(args.campaign, upload,
                                                           args.skip_invalid), waiting.start))
            finally:
                waiting.stop()
        except grpc.RpcError as exc:
            return _rpc_error(exc)
    summary = {"valid": r.valid, "invalid": r.invalid, "imported": r.imported, "held": r.held,
               "errors": [{"line": e.line, "field": e.field, "reason": e.reason}
                          for e in r.errors]}
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"imported {r.imported} records ({r.held} held for adjudication); "
              f"{r.invalid} invalid", file=sys.stderr)
        for e in r.errors:
            print(f"  line {e.line}: {e.field}: {e.reason}", file=sys.stderr)
    return 0 if r.invalid == 0 else 1


def _status(args: argparse.Namespace) -> int:
    import grpc
    from google.protobuf.json_format import MessageToDict

    from cetak.api.v1 import admin_pb2, admin_pb2_grpc

    stub = admin_pb2_grpc.AdminServiceStub(channel_from_args(args))
    try:
        s = stub.GetStatus(admin_pb2.StatusRequest(campaign_id=args.campaign))
    except grpc.RpcError as exc:
        return _rpc_error(exc)
    if args.json:
        print(json.dumps(MessageToDict(s, preserving_proto_field_name=True,
                                       always_print_fields_with_no_presence=True)))
        return 0
    from rich.console import Console

    from cetak.reports import print_status_table

    from .record_cli import _kelurahan
    from .status_text import campaign_reason_lines

    console = Console(stderr=True)
    print_status_table(s, console)

    def place(code: str) -> str:
        return code + (f" ({name})" if (name := _kelurahan(code)) else "")

    for line in campaign_reason_lines(s, place):
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    return 0


def _report(args: argparse.Namespace) -> int:
    import grpc

    from cetak.api.v1 import admin_pb2, admin_pb2_grpc

    from .reports import write_report

    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return _fail(f"--out: {exc.strerror}")
    stub = admin_pb2_grpc.AdminServiceStub(channel_from_args(args))
    try:
        s = stub.GetStatus(admin_pb2.StatusRequest(campaign_id=args.campaign))
    except grpc.RpcError as exc:
        return _rpc_error(exc)
    table, chart = write_report(s, args.out)
    if args.json:
        print(json.dumps({"csv": str(table), "png": str(chart), "sites": len(s.sites)}))
    else:
        print(f"wrote {table} and {chart}", file=sys.stderr)
    return 0


def _recount_totals(store) -> int:
    """Repair the attempt totals from the attempts, on record: how many keys differed."""
    from .audit import audit_log_for

    drift = store.attempt_totals_drift()
    if drift:
        store.recount_attempt_totals()
        audit_log_for(store).record("admin", "attempt_totals.recount", detail={
            "differed": [[site, campaign, kategori, state, kept, counted]
                         for site, campaign, kategori, state, kept, counted in drift[:50]],
            "count": len(drift)})
    return len(drift)


def _verify(args: argparse.Namespace) -> int:
    from .store import StoreError, open_store
    from .verify import verify_store

    path = args.store
    if "://" not in path and not Path(path).is_file():
        return _fail(f"{path}: no such store file")
    try:
        store = open_store(path)
    except (StoreError, OSError) as exc:
        return _fail(f"cannot open store: {exc}")
    recounted = 0
    try:
        with store.transaction():
            if args.recount_totals:
                recounted = _recount_totals(store)
            report = verify_store(store)
    finally:
        store.close()
    if args.json:
        print(json.dumps({**report.to_dict(), "totals_recounted": recounted}))
    else:
        if args.recount_totals:
            print(f"attempt totals recounted: {recounted} differed", file=sys.stderr)
        for v in report.violations:
            print(f"VIOLATION {v.invariant}: {v.subject}: {v.detail}", file=sys.stderr)
        for a in report.attention:
            print(f"attention: {a}", file=sys.stderr)
        print("all invariants hold" if report.ok else
              f"{len(report.violations)} violations", file=sys.stderr)
    return 0 if report.ok else 1
