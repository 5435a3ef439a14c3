"""`cetak printer decode FILE [--png OUT] [--json]`: what a printer stream asks the printer to do.

Names the dialect, lists the commands and, per panel, its side, kind, levels, size and printed
(non-zero) dots; --png renders what the card would look like. A bad stream exits 1 with the
decoder's message and byte offset.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def register_decode(subparsers: Any) -> None:
    """Add `decode` to the `cetak printer` subcommands (called by printers/cli.py)."""
    p = subparsers.add_parser(
        "decode", help="decode an Evolis or Magicard command stream",
        description="Decode a card printer command stream (Evolis or Magicard, detected from "
                    "the bytes): dialect, commands, panels with their printed dots.")
    p.add_argument("file", type=Path, help="the stream, e.g. a .prn capture")
    p.add_argument("--png", type=Path, metavar="OUT",
                   help="write what the card would look like (front, and back beside it)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(handler=decode_command)


def summary(job: Any, size: int) -> dict[str, Any]:
    """The JSON shape of a decoded job."""
    from cetak.native.core import dots_printed

    return {
        "dialect": job.dialect,
        "bytes": size,
        "commands": [{"name": c.name, "params": c.params, "offset": c.offset}
                     for c in job.commands],
        "panels": [{"side": p.side, "panel": p.panel, "levels": p.levels, "width": p.width,
                    "height": p.height, "dots_printed": dots_printed(p)} for p in job.panels],
    }


def _write_png(job: Any, out: Path) -> list[str]:
    from PIL import Image

    from cetak.native import render_preview

    images = render_preview(job)
    sides = [s for s in ("front", "back") if s in images]
    if not sides:
        raise ValueError("the stream prints no panel to render")
    gutter = 24
    sheet = Image.new("RGB", (1016 * len(sides) + gutter * (len(sides) - 1), 648), (128, 128, 128))
    for i, side in enumerate(sides):
        sheet.paste(images[side], (i * (1016 + gutter), 0))
    sheet.save(out)
    return sides


def decode_command(args: argparse.Namespace) -> int:
    from cetak.native import StreamError, decode_stream

    try:
        data = args.file.read_bytes()
    except OSError as exc:
        print(f"cetak printer decode: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        job = decode_stream(data)
    except StreamError as exc:
        print(f"cetak printer decode: {args.file}: {exc}", file=sys.stderr)
        if args.json:
            print(json.dumps({"file": str(args.file), "error": exc.message,
                              "offset": exc.offset}))
        return 1
    result = {"file": str(args.file), **summary(job, len(data))}
    if args.png is not None:
        try:
            result["png"] = {"path": str(args.png), "sides": _write_png(job, args.png)}
        except (OSError, ValueError) as exc:
            print(f"cetak printer decode: cannot write {args.png}: {exc}", file=sys.stderr)
            return 1
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{args.file}: {job.dialect}, {len(data)} bytes")
    print("commands:")
    for c in result["commands"]:
        print(f"  @{c['offset']:<8} {c['name']} {' '.join(c['params'])}".rstrip())
    print("panels:")
    for p in result["panels"]:
        print(f"  {p['side']:<5} {p['panel']}  levels {p['levels']:<3} {p['width']}x{p['height']}"
              f"  printed dots {p['dots_printed']}")
    if "png" in result:
        print(f"preview: {result['png']['path']} ({', '.join(result['png']['sides'])})")
    return 0
