"""`cetak inventory ...`: blanks, ribbons and films per site, over the admin API.

    cetak inventory receive SITE --item blank --serials KTP000001-KTP000500 [--reference DO-7]
    cetak inventory transfer --from SITE --to SITE --item blank --quantity 50 | --serials A-B
    cetak inventory spoil SITE --serials KTP000017 --reason "rusak saat pengiriman"
    cetak inventory destroy SITE --place "Kantor Disdukcapil"
                            --officer NAME NIP [POSITION]   (repeat for more officers)
                            --witness NAME NIP [POSITION] | --witness "NAME, POSITION"  x2+
                            [--serials A-B ...] [--quantity N] --out DIR
    cetak inventory show [SITE] [--json]
    cetak inventory records [SITE] [--number N] [--out DIR] [--json]

`destroy` writes the berita acara as <number>.pdf (printable) and <number>.csv into --out.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path

from cetak.client import add_connection_options, channel_from_args, rpc_failure
from cetak.i18n import tr


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="inventory_command", metavar="COMMAND", required=True)

    def serials(p: argparse.ArgumentParser, many: bool = False) -> None:
        if many:
            p.add_argument("--serials", nargs="+", default=[], metavar="SERIAL|FROM-TO",
                           help="serials or ranges (e.g. KTP000100-KTP000149)")
        else:
            p.add_argument("--serials", default="", metavar="FROM-TO",
                           help="serial range (or one serial) of the blanks")

    receive = sub.add_parser("receive", help="record a delivery to a site")
    receive.add_argument("site")
    receive.add_argument("--item", choices=("blank", "ribbon", "film"), default="blank")
    receive.add_argument("--quantity", type=int, default=0,
                         help="blanks, ribbon prints or film frames (with --serials: optional)")
    serials(receive)
    receive.add_argument("--reference", default="", help="delivery note number")
    receive.add_argument("--json", action="store_true")
    add_connection_options(receive)
    receive.set_defaults(handler=_receive)

    transfer = sub.add_parser("transfer", help="move stock from one site to another")
    transfer.add_argument("--from", dest="from_site", required=True, metavar="SITE")
    transfer.add_argument("--to", dest="to_site", required=True, metavar="SITE")
    transfer.add_argument("--item", choices=("blank", "ribbon", "film"), default="blank")
    transfer.add_argument("--quantity", type=int, default=0)
    serials(transfer)
    transfer.add_argument("--reference", default="")
    transfer.add_argument("--json", action="store_true")
    add_connection_options(transfer)
    transfer.set_defaults(handler=_transfer)

    spoil = sub.add_parser("spoil", help="record stock damaged outside printing")
    spoil.add_argument("site")
    spoil.add_argument("--item", choices=("blank", "ribbon", "film"), default="blank")
    spoil.add_argument("--quantity", type=int, default=0)
    serials(spoil)
    spoil.add_argument("--reason", required=True)
    spoil.add_argument("--json", action="store_true")
    add_connection_options(spoil)
    spoil.set_defaults(handler=_spoil)

    destroy = sub.add_parser("destroy", help="destroy spoiled blanks and write the berita acara")
    destroy.add_argument("site")
    serials(destroy, many=True)
    destroy.add_argument("--quantity", type=int, default=0,
                         help="without --serials: how many spoiled blanks (known serials first)")
    destroy.add_argument("--place", required=True)
    destroy.add_argument("--officer", dest="officers", action="append", nargs="+",
                         default=[], required=True, metavar="NAME NIP [POSITION]",
                         help="who destroys the blanks, as the berita acara names them: "
                              "name, NIP (18 digits) and position; repeat for more officers")
    destroy.add_argument("--witness", dest="witnesses", action="append", nargs="+",
                         default=[], required=True, metavar="NAME NIP [POSITION]",
                         help="repeat; at least two. NAME NIP [POSITION], or one quoted "
                              "'NAME, POSITION' for a witness without a NIP")
    destroy.add_argument("--method", default="", help="e.g. 'dipotong lalu dibakar'")
    destroy.add_argument("--at", default="", metavar="ISO", help="when (default: now)")
    destroy.add_argument("--out", type=Path, required=True, metavar="DIR",
                         help="folder for <number>.pdf and <number>.csv")
    destroy.add_argument("--json", action="store_true")
    add_connection_options(destroy)
    destroy.set_defaults(handler=_destroy)

    show = sub.add_parser("show", help="stock per site: blanks, serial ranges, ribbons, films")
    show.add_argument("site", nargs="?", default="")
    show.add_argument("--json", action="store_true")
    add_connection_options(show)
    show.set_defaults(handler=_show)

    records = sub.add_parser("records", help="list destruction records (and write them again)")
    records.add_argument("site", nargs="?", default="")
    records.add_argument("--number", default="")
    records.add_argument("--out", type=Path, metavar="DIR",
                         help="write each record's PDF and CSV here")
    records.add_argument("--json", action="store_true")
    add_connection_options(records)
    records.set_defaults(handler=_records)


def _fail(message: str, code: int = 2) -> int:
    print(f"cetak inventory: {message}", file=sys.stderr)
    return code


def _rpc_error(exc, args: argparse.Namespace) -> int:
    return rpc_failure(f"inventory {args.inventory_command}", exc, args.controller)


def _range(text: str) -> tuple[str, str]:
    """'A-B' -> (A, B); 'A' -> (A, ''). The split is the server's to check; here only the
    hyphen that leaves two non-empty halves of equal length is taken."""
    if not text:
        return "", ""
    for i, ch in enumerate(text):
        if ch == "-" and i and len(text[:i]) == len(text[i + 1:]):
            return text[:i], text[i + 1:]
    return text, ""


def _stub(args: argparse.Namespace):
    from cetak.api.v1 import admin_pb2_grpc

    return admin_pb2_grpc.AdminServiceStub(channel_from_args(args))


def _movement_dict(m) -> dict:
    return {"movement_id": m.movement_id, "site_code": m.site_code, "item": m.item,
            "kind": m.kind, "quantity": m.quantity, "serial_from": m.serial_from,
            "serial_to": m.serial_to, "reference": m.reference,
            "counterpart_site": m.counterpart_site}


def _record_movement(args: argparse.Namespace, kind: str, reference: str) -> int:
    import grpc

    from cetak.api.v1 import admin_pb2

    serial_from, serial_to = _range(args.serials)
    if args.quantity < 0 or (not args.quantity and not serial_from):
        return _fail(tr("give a positive --quantity or --serials"))
    try:
        m = _stub(args).RecordInventory(admin_pb2.InventoryMovement(
            site_code=args.site, item=args.item, kind=kind, quantity=args.quantity,
            serial_from=serial_from, serial_to=serial_to, reference=reference))
    except grpc.RpcError as exc:
        return _rpc_error(exc, args)
    if args.json:
        print(json.dumps(_movement_dict(m)))
    else:
        serial = f" ({m.serial_from}..{m.serial_to})" if m.serial_from else ""
        print(f"{kind} {m.quantity} {m.item} at {m.site_code}{serial}")
    return 0


def _receive(args: argparse.Namespace) -> int:
    return _record_movement(args, "receive", args.reference)


def _spoil(args: argparse.Namespace) -> int:
    return _record_movement(args, "spoil", args.reason)


def _transfer(args: argparse.Namespace) -> int:
    import grpc

    from cetak.api.v1 import admin_pb2

    serial_from, serial_to = _range(args.serials)
    if args.quantity < 0 or (not args.quantity and not serial_from):
        return _fail(tr("give a positive --quantity or --serials"))
    try:
        r = _stub(args).TransferInventory(admin_pb2.TransferRequest(
            from_site=args.from_site, to_site=args.to_site, item=args.item,
            quantity=args.quantity, serial_from=serial_from, serial_to=serial_to,
            reference=args.reference))
    except grpc.RpcError as exc:
        return _rpc_error(exc, args)
    if args.json:
        print(json.dumps({"transfer_out": _movement_dict(r.transfer_out),
                          "transfer_in": _movement_dict(r.transfer_in)}))
    else:
        print(tr("moved {n} {item} {source} -> {target} ({reference})",
                 n=r.transfer_out.quantity, item=args.item, source=args.from_site,
                 target=args.to_site, reference=r.transfer_out.reference))
    return 0


def _destroy(args: argparse.Namespace) -> int:
    import grpc

    from cetak.api.v1 import admin_pb2

    from . import serde
    from .destruction import unprintable, write_documents
    from .signatory import SignatoryError, from_values

    at_ms = 0
    if args.at:
        try:
            at_ms = int(datetime.fromisoformat(args.at).timestamp() * 1000)
        except ValueError:
            return _fail(tr("--at: not an ISO date-time"))
    try:
        officers = [from_values(v, f"--officer #{i}", nip_required=True)
                    for i, v in enumerate(args.officers, 1)]
        witnesses = [from_values(v, f"--witness #{i}")
                     for i, v in enumerate(args.witnesses, 1) if " ".join(v).strip()]
    except SignatoryError as exc:
        return _fail(str(exc))
    if len(witnesses) < 2:
        return _fail(tr("a destruction record needs at least two --witness"))
    texts = [("--place", args.place), ("--method", args.method)]
    texts += [(f"--officer #{i}", f"{o.name} {o.position}") for i, o in enumerate(officers, 1)]
    texts += [(f"--witness #{i}", f"{w.name} {w.position}") for i, w in enumerate(witnesses, 1)]
    for option, text in texts:
        if missing := unprintable(text):
            return _fail(tr("{option}: {missing} character(s) the berita acara cannot print "
                            "(its font has Latin letters); write it in Latin letters",
                            option=option, missing=missing))
    if not args.serials and args.quantity <= 0:
        return _fail(tr("give --serials or a positive --quantity"))
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return _fail(f"--out: {exc.strerror}")
    try:
        rec = _stub(args).DestroyBlanks(admin_pb2.DestroyRequest(
            site_code=args.site, serials=args.serials, quantity=args.quantity,
            place=args.place, method=args.method, destroyed_at_ms=at_ms,
            witnesses=[w.line() for w in witnesses],
            witness_signatories=[serde.signatory_to_pb(w.to_dict()) for w in witnesses],
            officers=[serde.signatory_to_pb(o.to_dict()) for o in officers]))
    except grpc.RpcError as exc:
        return _rpc_error(exc, args)
    pdf, table = write_documents(serde.destruction_from_pb(rec), args.out)
    if args.json:
        print(json.dumps({"number": rec.number, "count": rec.count, "pdf": str(pdf),
                          "csv": str(table)}))
    else:
        print(tr("destruction record {number}: {count} blanks; {pdf}, {table}",
                 number=rec.number, count=rec.count, pdf=pdf, table=table))
    return 0


def _show(args: argparse.Namespace) -> int:
    import grpc
    from google.protobuf.json_format import MessageToDict

    from cetak.api.v1 import admin_pb2

    try:
        r = _stub(args).GetInventory(admin_pb2.InventoryRequest(site_code=args.site))
    except grpc.RpcError as exc:
        return _rpc_error(exc, args)
    if args.json:
        print(json.dumps(MessageToDict(r, preserving_proto_field_name=True,
                                       always_print_fields_with_no_presence=True)))
        return 0
    from cetak.output import table

    rows = []
    for s in r.sites:
        # The serials still in stock, every range (the column wraps between them; a serial is
        # never cut); --json also has blank_ranges, all the site holds, used or not.
        ranges = ", ".join(f"{x.serial_from}-{x.serial_to}" if x.count > 1 else x.serial_from
                           for x in s.stock_ranges)
        rows.append([s.site_code, str(s.blanks_received), str(s.blanks_in_stock),
                     str(s.blanks_printed), str(s.blanks_spoiled),
                     str(s.blanks_awaiting_destruction), str(s.blanks_destroyed),
                     str(s.blanks_transferred_out),
                     str(s.ribbons_in_stock) if s.ribbons_received else "-",
                     str(s.films_in_stock) if s.films_received else "-", ranges or "-"])
    table(tr("Inventory"), [(tr("site"), "id"), (tr("blanks in"), "number"),
                            (tr("in stock"), "number"), (tr("printed"), "number"),
                            (tr("spoiled"), "number"), (tr("to destroy"), "number"),
                            (tr("destroyed"), "number"), (tr("sent away"), "number"),
                            (tr("ribbons"), "number"), (tr("films"), "number"),
                            (tr("serials in stock"), "list")], rows)
    for s in r.sites:
        for item in s.attention:  # whole lines (a terminal-wide wrap would split serials)
            print(tr("attention: {item}", item=item))
    return 0


def _records(args: argparse.Namespace) -> int:
    import grpc

    from cetak.api.v1 import admin_pb2

    from . import serde
    from .destruction import write_documents

    try:
        r = _stub(args).ListDestructionRecords(admin_pb2.ListDestructionRecordsRequest(
            site_code=args.site, number=args.number))
    except grpc.RpcError as exc:
        return _rpc_error(exc, args)
    if args.number and not r.records:
        return _fail(tr("no destruction record {number}", number=args.number), 1)
    out = []
    for rec in r.records:
        d = serde.destruction_from_pb(rec)
        if args.out:
            pdf, table = write_documents(d, args.out)
            d.update(pdf=str(pdf), csv=str(table))
        out.append(d)
    if args.json:
        print(json.dumps({"records": out}))
    else:
        for d in out:
            print(f"{d['number']}  {d['site_code']}  {d['count']} blanks  {d['place']}")
    return 0
