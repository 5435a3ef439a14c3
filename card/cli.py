"""`cetak card ...`: layout proofs of PRR files.

`proof` exit codes: 0 every record rendered, 1 some records are invalid (listed with their
line, field and reason), 2 the input is unusable or the template is bad.
File names and captions use line numbers only, never a NIK or a name.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

EXIT_OK, EXIT_INVALID, EXIT_UNUSABLE = 0, 1, 2


def register(parser: argparse.ArgumentParser) -> None:
    """Add the `card` subcommands to `parser`."""
    sub = parser.add_subparsers(dest="card_command", metavar="SUBCOMMAND")
    proof = sub.add_parser(
        "proof", help="render a PRR file's cards as PNG proofs with a contact sheet",
        description="Render every valid record of a PRR file (.csv, .jsonl or .zip) as "
                    "DIR/line-NNNNNN.png plus DIR/contact-sheet-NNN.png. Invalid records are "
                    "listed with reasons; exit 1 if there were any, 2 if the input is unusable.")
    proof.add_argument("file", metavar="FILE")
    proof.add_argument("--out", required=True, metavar="DIR")
    proof.add_argument("--template", metavar="PATH", help="card template (default: e-KTP)")
    proof.add_argument("--issue-date", type=dt.date.fromisoformat, metavar="YYYY-MM-DD",
                       help="issue date printed on the cards (default: today)")
    proof.add_argument("--json", action="store_true",
                       help='print one JSON object {"proofs","invalid","held",...}')
    proof.set_defaults(handler=_proof)
    parser.set_defaults(handler=lambda args: _usage(parser))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_UNUSABLE


@dataclass
class ProofResult:
    proofs: list[Path] = field(default_factory=list)
    sheets: list[Path] = field(default_factory=list)
    invalid: list[dict] = field(default_factory=list)   # {"line", "field", "reason"}
    held: list[dict] = field(default_factory=list)      # {"lines", "reason"}


def make_proofs(file: str | Path, out_dir: str | Path, template_path: str | Path | None = None,
                issue_date: dt.date | None = None) -> ProofResult:
    """Render every valid record of a PRR file into out_dir. Raises cetak.prr InputUnusable
    and cetak.card TemplateError; record problems are collected in the result."""
    from cetak.card.errors import CardError
    from cetak.card.proof import SHEET_MAX_CARDS, card_image, contact_sheet
    from cetak.card.render import render_card
    from cetak.card.template import load_template
    from cetak.prr import PrrError, load_regions, open_prr, to_card_record

    template = load_template(template_path)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    issued = (issue_date or dt.date.today()).isoformat()
    regions = load_regions()
    result = ProofResult()
    pending: list[tuple[str, object]] = []

    def flush_sheet() -> None:
        path = out / f"contact-sheet-{len(result.sheets) + 1:03d}.png"
        contact_sheet(pending).save(path)
        result.sheets.append(path)
        pending.clear()

    with open_prr(file, regions=regions) as run:
        for batch in run:
            result.invalid.extend({"line": e.line, "field": e.field, "reason": e.reason}
                                  for e in batch.errors)
            for rec in batch.records:
                label = f"line-{rec.line:06d}"
                try:
                    card_record = to_card_record(rec, regions, record_id=label)
                    card_record.issue_date = issued
                    image = card_image(render_card(card_record, template))
                except CardError as exc:
                    result.invalid.append({"line": rec.line,
                                           "field": getattr(exc, "field", "card"),
                                           "reason": getattr(exc, "reason", str(exc))})
                    continue
                except PrrError as exc:  # an image that vanished or cannot be read
                    result.invalid.append({"line": rec.line, "field": "foto",
                                           "reason": str(exc)})
                    continue
                path = out / f"{label}.png"
                image.save(path)
                result.proofs.append(path)
                pending.append((f"line {rec.line}", image))
                if len(pending) >= SHEET_MAX_CARDS:
                    flush_sheet()
        if pending:
            flush_sheet()
        result.held = [{"lines": list(h.lines), "reason": h.reason} for h in run.holds]
    result.invalid.sort(key=lambda item: item["line"])
    return result


def _proof(args: argparse.Namespace) -> int:
    from cetak.card.errors import TemplateError
    from cetak.prr import InputUnusable

    try:
        result = make_proofs(args.file, args.out, args.template, args.issue_date)
    except (InputUnusable, TemplateError) as exc:
        print(f"cetak card proof: {exc}", file=sys.stderr)
        if args.json:
            print(json.dumps({"error": str(exc)}))
        return EXIT_UNUSABLE
    if args.json:
        print(json.dumps({"out": str(args.out), "proofs": len(result.proofs),
                          "contact_sheets": [str(p) for p in result.sheets],
                          "invalid": result.invalid, "held": result.held}))
    else:
        for item in result.invalid:
            print(f"line {item['line']}: {item['field']}: {item['reason']}")
        for hold in result.held:
            print(f"lines {', '.join(map(str, hold['lines']))}: held: {hold['reason']}")
        print(f"{len(result.proofs)} proofs, {len(result.invalid)} invalid records "
              f"-> {args.out}")
    return EXIT_INVALID if result.invalid else EXIT_OK
