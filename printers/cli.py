"""`cetak printer ...`: emulate a printer; decode a printer stream (printers/decode_cli.py)."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="printer_command", metavar="SUBCOMMAND")
    _register_emulate(sub)
    try:
        from cetak.printers.decode_cli import register_decode
    except ModuleNotFoundError as exc:
        if exc.name != "cetak.printers.decode_cli":
            raise
        decode = sub.add_parser("decode", help="decode a printer stream (not in this build)")
        decode.set_defaults(handler=_decode_missing)
    else:
        register_decode(sub)


def _decode_missing(args: argparse.Namespace) -> int:
    print("cetak printer decode: not available in this build (cetak.printers.decode_cli "
          "is missing)", file=sys.stderr)
    return 2


def _register_emulate(sub: Any) -> None:
    p = sub.add_parser(
        "emulate", help="run a virtual card printer on TCP",
        description="Run a virtual card printer: speaks a dialect on a raw TCP port, writes each "
                    "card as PNG and a log of cards physically produced. Its service port (chip "
                    "station, operator actions) listens on --service, by default the next port.")
    p.add_argument("--dialect", required=True, choices=("evolis", "magicard"))
    p.add_argument("--listen", default="tcp://127.0.0.1:9100", help="tcp://HOST:PORT (port 0: any)")
    p.add_argument("--service", default=None,
                   help="tcp://HOST:PORT of the chip station / operator port "
                        "(default: same host, listen port + 1; any free port if listen port is 0)")
    p.add_argument("--out", required=True, type=Path, help="folder for PNGs, chips and the log")
    p.add_argument("--model", default=None, help="printer model (default: the dialect's)")
    p.add_argument("--cards-per-hour", type=float, default=None,
                   help="YMCKO one-sided rate (default: the model's)")
    p.add_argument("--time-scale", type=float, default=1.0, help="run this many times faster")
    p.add_argument("--blanks", type=int, default=None,
                   help="blanks in the hopper (default: those of --serials, else 500)")
    p.add_argument("--serials", default=None, metavar="FROM-TO",
                   help="the serials of the blanks in the hopper, written as `cetak inventory "
                        "receive --serials` takes them (e.g. KTP0001001-KTP0001500); FROM "
                        "alone: numbered on from it")
    p.add_argument("--blank-prefix", default=None,
                   help="blank serial prefix (default: the printer's serial and a hyphen)")
    p.add_argument("--first-blank", type=int, default=1,
                   help="first blank serial number (8 digits; --serials sets the width)")
    p.add_argument("--ribbon-panels", type=int, default=None, help="panels left on the ribbon")
    p.add_argument("--film", type=int, default=None, help="film frames left (retransfer)")
    p.add_argument("--faults", default="", help="e.g. 'jam_after_feed@3,ribbon_out%%0.01'")
    p.add_argument("--seed", type=int, default=0, help="seed for probabilistic faults")
    p.add_argument("--serial", default=None,
                   help="the printer's serial number (default: VP and the listening port)")
    p.add_argument("--operator-delay", type=float, default=None,
                   help="an operator clears errors after this many (unscaled) seconds")
    p.add_argument("--json", action="store_true", help="print the ready line as one JSON object")
    p.set_defaults(handler=_emulate)


def _hopper(args: argparse.Namespace) -> dict:
    """The blanks loaded and how they are numbered, from --serials or --blank-prefix and
    --first-blank; ValueError when they disagree."""
    if args.serials is None:
        return dict(blanks=500 if args.blanks is None else args.blanks,
                    blank_prefix=args.blank_prefix, first_blank=args.first_blank)
    from cetak.serials import SerialError, parse_range_text

    if args.blank_prefix is not None or args.first_blank != 1:
        raise ValueError("--serials sets the blanks' numbering: leave out --blank-prefix "
                         "and --first-blank")
    try:
        r = parse_range_text(args.serials)
    except SerialError as exc:
        raise ValueError(f"--serials: {exc}") from None
    ranged = args.serials.strip() != r.serial_from  # FROM-TO, not one serial
    if ranged and args.blanks is not None and args.blanks != r.count:
        raise ValueError(f"--blanks {args.blanks} but --serials {r} are {r.count} blanks")
    blanks = r.count if ranged else (500 if args.blanks is None else args.blanks)
    return dict(blanks=blanks, blank_prefix=r.prefix, first_blank=r.first, blank_width=r.width)


def _emulate(args: argparse.Namespace) -> int:
    from cetak.printers.errors import PrinterError
    from cetak.printers.transports.tcp import parse_address
    from cetak.printers.virtual import VirtualPrinter
    from cetak.printers.virtual.service import create_service_server
    from cetak.printers.virtual.tcp_server import create_server, serve_in_thread

    try:
        hopper = _hopper(args)
        host, port = parse_address(args.listen)
        printer = VirtualPrinter(
            args.dialect, model=args.model, out_dir=args.out, **hopper,
            ribbon_panels=args.ribbon_panels, film_frames=args.film,
            cards_per_hour=args.cards_per_hour, time_scale=args.time_scale, faults=args.faults,
            seed=args.seed, serial=args.serial or "VP", operator_delay=args.operator_delay)
        if args.service:
            service_host, service_port = parse_address(args.service)
        else:
            service_host, service_port = host, (port + 1 if port else 0)
        server, bound = create_server(printer, host, port)
        if not args.serial:  # unique among the printers of one host, so are their blanks
            printer.mechanism.serial = f"VP{bound}"
        service, service_bound = create_service_server(printer, service_host, service_port)
    except (PrinterError, ValueError, OSError) as exc:
        print(f"cetak printer emulate: {exc}", file=sys.stderr)
        return 2

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    threads = [serve_in_thread(server), serve_in_thread(service)]
    ready = {"listen": f"tcp://{host}:{bound}", "service": f"tcp://{service_host}:{service_bound}",
             "dialect": printer.dialect, "model": printer.model.name,
             "serial": printer.mechanism.serial, "out": str(args.out)}
    if args.json:
        print(json.dumps(ready, sort_keys=True), flush=True)
    else:
        print(f"virtual {printer.model.name} on {ready['listen']}, "
              f"chip station and operator port on {ready['service']}", flush=True)
    log.info("emulating %s (%s) on %s", printer.model.name, printer.dialect, ready["listen"])
    try:
        stop.wait()
    finally:
        server.stop()
        service.stop()
        for thread in threads:
            thread.join(timeout=5)
        printer.finish()  # a card in progress leaves the printer before it stops
    return 0
