"""`cetak campaign ...`: create, import, status (over the admin API) and verify (on the store)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path

from cetak.client import add_connection_options, admin_call, site_zones
from cetak.i18n import tr

CHUNK = 1024 * 1024


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    create = sub.add_parser("create", help="create a campaign")
    create.add_argument("campaign")
    create.add_argument("--name", default="")
    create.add_argument("--deadline", help="ISO date-time, e.g. 2026-12-01T17:00 (WIB, or the "
                        "sites' zone) or 2026-12-01T17:00+07:00")
    create.add_argument("--allow-past", action="store_true",
                        help="accept a deadline that has already passed")
    create.add_argument("--budget-baru", type=int, default=0)
    create.add_argument("--budget-penggantian", type=int, default=0)
    create.add_argument("--json", action="store_true", help="print the campaign as JSON")
    add_connection_options(create)
    create.set_defaults(handler=_create)

    change = sub.add_parser("set", help="change a campaign's name, deadline or budgets "
                                        "(audited)")
    change.add_argument("campaign")
    change.add_argument("--name")
    change.add_argument("--deadline", help="ISO date-time like campaign create's, or 'none'")
    change.add_argument("--allow-past", action="store_true",
                        help="accept a deadline that has already passed")
    change.add_argument("--budget-baru", type=int)
    change.add_argument("--budget-penggantian", type=int)
    change.add_argument("--json", action="store_true", help="print the campaign as JSON")
    add_connection_options(change)
    change.set_defaults(handler=_set)

    cancel = sub.add_parser("cancel", help="cancel a campaign: its records not printed are "
                                           "cancelled (audited)")
    cancel.add_argument("campaign")
    cancel.add_argument("--reason", required=True, help="why (kept in the audit log)")
    cancel.add_argument("--json", action="store_true")
    add_connection_options(cancel)
    cancel.set_defaults(handler=_cancel)

    listing = sub.add_parser("list", help="the campaigns, their deadlines and budgets")
    listing.add_argument("--json", action="store_true")
    add_connection_options(listing)
    listing.set_defaults(handler=_list)

    imp = sub.add_parser("import", help="import a PRR file (CSV, JSON Lines, .xlsx or .zip)")
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
    report.add_argument("--lang", choices=("id", "en"), default=None,
                        help="language of the CSV header and the chart (default: from "
                             "LC_ALL/LC_MESSAGES/LANG, else id = Bahasa Indonesia)")
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
    """Refuse the command: `message` on stderr after the command's name (cli.run_handler
    prints it), exit `code`."""
    from cetak.client import ClientError

    raise ClientError(message, code)


def _deadline_ms(args: argparse.Namespace, command: str) -> int:
    """--deadline as unix ms (0 when not given): an ISO date-time, one without an offset read
    in the sites' zone (WIB unless the site registry says otherwise). The controller refuses
    one already past unless --allow-past."""
    from cetak.client import ClientError
    from cetak.reports import campaign_zone
    from cetak.timefmt import parse_ms

    if not args.deadline:
        return 0
    zone = campaign_zone(site_zones(args, command)) if not _has_offset(args.deadline) else ""
    try:
        return parse_ms(args.deadline, zone)
    except ValueError as exc:
        raise ClientError(f"cetak {command}: --deadline {exc}") from None


def _has_offset(text: str) -> bool:
    try:
        return datetime.fromisoformat(text.strip()).tzinfo is not None
    except ValueError:
        return False


def _set(args: argparse.Namespace) -> int:
    from cetak.api.v1 import admin_pb2

    request = admin_pb2.UpdateCampaignRequest(campaign_id=args.campaign,
                                              allow_past=args.allow_past)
    if args.name is not None:
        request.name = args.name
    if args.deadline is not None:
        request.deadline_ms = (0 if args.deadline.strip().lower() in ("", "none")
                               else _deadline_ms(args, "campaign set"))
    for option in ("budget_baru", "budget_penggantian"):
        if getattr(args, option) is not None:
            setattr(request, option, getattr(args, option))
    if len(request.ListFields()) <= 1 + args.allow_past:
        return _fail(tr("give what to change: --name, --deadline, --budget-baru or "
                        "--budget-penggantian"))
    c = admin_call(args, "campaign set", "UpdateCampaign", request)
    if args.json:
        print(json.dumps(_campaign_dict(c)))
    else:
        print(tr("campaign {campaign} changed", campaign=c.campaign_id))
    return 0


def _cancel(args: argparse.Namespace) -> int:
    from cetak.api.v1 import admin_pb2

    if not args.reason.strip():
        return _fail(tr("--reason must say why (it is kept in the audit log)"))
    r = admin_call(args, "campaign cancel", "CancelCampaign", admin_pb2.CancelCampaignRequest(
        campaign_id=args.campaign, reason=args.reason))
    if args.json:
        print(json.dumps({**_campaign_dict(r.campaign),
                          "records_cancelled": r.records_cancelled}))
    else:
        print(tr("campaign {campaign} cancelled: {n} records cancelled; cards being printed "
                 "now finish, and are cancelled if they come back unprinted",
                 campaign=r.campaign.campaign_id, n=r.records_cancelled))
    return 0


def _create(args: argparse.Namespace) -> int:
    from cetak.api.v1 import admin_pb2

    deadline_ms = _deadline_ms(args, "campaign create")
    c = admin_call(args, "campaign create", "CreateCampaign", admin_pb2.CreateCampaignRequest(
        campaign=admin_pb2.Campaign(
            campaign_id=args.campaign, name=args.name, deadline_ms=deadline_ms,
            budget_baru=args.budget_baru, budget_penggantian=args.budget_penggantian),
        allow_past=args.allow_past))
    if args.json:
        print(json.dumps(_campaign_dict(c)))
    else:
        print(tr("created campaign {campaign}", campaign=c.campaign_id))
    return 0


def _campaign_dict(c) -> dict:  # noqa: ANN001 - an admin_pb2.Campaign
    return {"campaign_id": c.campaign_id, "name": c.name, "deadline_ms": c.deadline_ms,
            "budget_baru": c.budget_baru, "budget_penggantian": c.budget_penggantian,
            "created_ms": c.created_ms, "cancelled_ms": c.cancelled_ms,
            "cancel_reason": c.cancel_reason}


def _list(args: argparse.Namespace) -> int:
    from cetak.api.v1 import admin_pb2
    from cetak.output import table
    from cetak.timefmt import format_ms

    r = admin_call(args, "campaign list", "ListCampaigns", admin_pb2.ListCampaignsRequest())
    campaigns = [_campaign_dict(c) for c in r.campaigns]
    if args.json:
        print(json.dumps({"campaigns": campaigns}))
        return 0
    from cetak.reports import campaign_zone

    zone = campaign_zone(site_zones(args, "campaign list"))
    rows = [[c["campaign_id"], c["name"], format_ms(c["deadline_ms"], zone),
             str(c["budget_baru"]), str(c["budget_penggantian"]),
             tr("cancelled {when}", when=format_ms(c["cancelled_ms"], zone))
             if c["cancelled_ms"] else tr("running")] for c in campaigns]
    table(tr("Campaigns"), [(tr("campaign"), "id"), (tr("name"), "text"),
                            (tr("deadline"), "time"), (tr("budget baru"), "number"),
                            (tr("budget penggantian"), "number"), (tr("state"), "time")],
          rows)
    return 0


def import_chunks(campaign: str, path: Path, skip_invalid: bool):
    from cetak.api.v1 import admin_pb2

    fmt = {".csv": "csv", ".jsonl": "jsonl", ".xlsx": "xlsx", ".zip": "zip"}.get(
        path.suffix.lower(), "csv")
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

            self._bar = Progress(tr("uploading"), BarColumn(), DownloadColumn(),
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

    from cetak.prr.bundle import bundle_prr

    if not args.file.is_file():
        return _fail(tr("{file}: a folder, not a PRR file", file=args.file)
                     if args.file.is_dir() else tr("{file}: no such file", file=args.file))
    with tempfile.TemporaryDirectory(prefix="cetak-upload-") as tmp:
        upload = args.file
        if args.file.suffix.lower() != ".zip":
            # A CSV/JSONL names its photos by path: send them along in one archive.
            upload = bundle_prr(args.file, Path(tmp) / "upload.zip")
        waiting = _Waiting(tr("the controller is validating and importing"))
        try:
            r = admin_call(args, "campaign import", "ImportRecords", _then(
                import_chunks(args.campaign, upload, args.skip_invalid), waiting.start))
        finally:
            waiting.stop()
    summary = {"valid": r.valid, "invalid": r.invalid, "imported": r.imported, "held": r.held,
               "errors": [{"line": e.line, "field": e.field, "reason": e.reason}
                          for e in r.errors]}
    if args.json:
        print(json.dumps(summary))
    else:
        print(tr("imported {imported} records ({held} held for adjudication); {invalid} invalid",
                 imported=r.imported, held=r.held, invalid=r.invalid))
    # The lines at fault are diagnostics: on stderr, the result above on stdout.
    if r.invalid and args.skip_invalid:
        print(tr("cetak campaign import: skipped {n} invalid records:", n=r.invalid),
              file=sys.stderr)
    elif r.invalid:
        print(tr("cetak campaign import: nothing imported: {n} invalid records (fix them, or "
                 "import the valid ones with --skip-invalid):", n=r.invalid), file=sys.stderr)
    for e in r.errors:
        print("  " + tr("line {line}: {field}: {reason}", line=e.line, field=e.field,
                        reason=e.reason), file=sys.stderr)
    if len(r.errors) < r.invalid:
        print("  " + tr("... and {n} more (`cetak record validate FILE` lists them all)",
                        n=r.invalid - len(r.errors)), file=sys.stderr)
    # Exit codes (docs/admin-guide.md): with --skip-invalid the import was done as asked;
    # without it, an invalid record refuses the whole file.
    return 2 if r.invalid and not args.skip_invalid else 0


def _status(args: argparse.Namespace) -> int:
    from google.protobuf.json_format import MessageToDict

    from cetak.api.v1 import admin_pb2

    s = admin_call(args, "campaign status", "GetStatus",
                   admin_pb2.StatusRequest(campaign_id=args.campaign))
    if args.json:
        print(json.dumps(MessageToDict(s, preserving_proto_field_name=True,
                                       always_print_fields_with_no_presence=True)))
        return 0
    from cetak.reports import print_status_table

    from .record_cli import _kelurahan
    from .status_text import campaign_reason_lines

    print_status_table(s, site_zones(args, "campaign status"))

    def place(code: str) -> str:
        return code + (f" ({name})" if (name := _kelurahan(code)) else "")

    for line in campaign_reason_lines(s, place):
        print(line)
    return 0


def _report(args: argparse.Namespace) -> int:
    from cetak.api.v1 import admin_pb2

    from .reports import write_report

    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return _fail(f"--out: {exc.strerror}")
    s = admin_call(args, "campaign report", "GetStatus",
                   admin_pb2.StatusRequest(campaign_id=args.campaign))
    table, chart = write_report(s, args.out, args.lang)
    if args.json:
        print(json.dumps({"csv": str(table), "png": str(chart), "sites": len(s.sites)}))
    else:
        print(tr("wrote {table} and {chart}", table=table, chart=chart))
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
        return _fail(tr("{path}: no such store file", path=path))
    try:
        store = open_store(path)
    except (StoreError, OSError) as exc:
        return _fail(tr("cannot open store: {error}", error=exc))
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
            print(tr("attempt totals recounted: {n} differed", n=recounted))
        for v in report.violations:
            print(f"VIOLATION {v.invariant}: {v.subject}: {v.detail}")
        for a in report.attention:
            print(tr("attention: {item}", item=a))
        print(tr("all invariants hold") if report.ok else
              tr("{n} violations", n=len(report.violations)))
    return 0 if report.ok else 1
