"""Tables for the terminal that fit it and never cut a code.

Every column has a kind: ``id`` (a kelurahan code, a campaign or record id, a serial) and
``number`` are never wrapped or shortened; ``time`` wraps only at its spaces (the date, then the
hour and zone), and ``list`` (serial ranges, comma-separated) between its items; ``text`` (names,
reasons) wraps within its column.
When the terminal is too narrow even for the columns that cannot wrap, each row is shown as
a block of ``column: value`` lines instead, so nothing is ever cut to ``32.7…``. Output to a
pipe or a file is as wide as the table needs (COLUMNS, when set, still wins). The full values
are always in the command's ``--json``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TextIO

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from cetak.i18n import tr

KINDS = ("id", "number", "time", "list", "text")
_TEXT_MIN = 10  # a text column narrower than this is harder to read than a block per row


def _cells(value: str) -> int:
    """Terminal cells of the widest line of `value` (a header may take two lines)."""
    return max(Text.from_markup(line).cell_len for line in value.split("\n"))


def _terminal_width(file: TextIO) -> int | None:
    """The width to fit, or None for "as wide as needed" (a pipe or a file)."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if file.isatty():
        return Console(file=file).width
    return None


def table(title: str, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[str]],
          file: TextIO | None = None, footer: Sequence[Sequence[str]] = ()) -> None:
    """Print `rows` (cells as text, rich markup allowed) under `columns` ((header, kind)) to
    `file` (stdout); `footer` rows come last, in bold (totals)."""
    file = file or sys.stdout
    for _, kind in columns:
        if kind not in KINDS:
            raise ValueError(f"column kind {kind!r}: expected one of {KINDS}")
    every = [*rows, *footer]
    if not every:
        Console(file=file, soft_wrap=True, highlight=False).print(
            tr("{title}: none", title=title))
        return
    # A text column with nothing in it (names not registered yet) is left out, not shown empty.
    keep = [i for i, (_, kind) in enumerate(columns)
            if kind != "text" or any(str(r[i]).strip() for r in every)]
    if len(keep) < len(columns):
        columns = [columns[i] for i in keep]
        rows = [[r[i] for i in keep] for r in rows]
        footer = [[r[i] for i in keep] for r in footer]
        every = [*rows, *footer]
    natural = [max([_cells(header), *(_cells(str(r[i])) for r in every)])
               for i, (header, _) in enumerate(columns)]
    overhead = 2 * (len(columns) - 1)  # a space and a separator between columns
    width = _terminal_width(file)
    needed = sum(natural) + overhead
    # A time may wrap at its spaces (date / hour and zone), never inside a word.
    words = [max([len(w) for r in every for w in Text.from_markup(str(r[i])).plain.split()]
                 + [_cells(header)])
             for i, (header, _) in enumerate(columns)]
    least = overhead + sum({"text": min(n, _TEXT_MIN), "time": w, "list": w}.get(kind, n)
                           for n, w, (_, kind) in zip(natural, words, columns, strict=True))
    console = Console(file=file, width=needed if width is None else width, soft_wrap=False,
                      highlight=False)
    if width is not None and least > width:
        _blocks(console, title, columns, every)
        return
    # Rules under the header only, no frame: two characters between columns, so more fits.
    grid = Table(title=title or None, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False,
                 padding=(0, 1, 0, 0), title_justify="left")
    for (header, kind), n, w in zip(columns, natural, words, strict=True):
        if kind == "text":
            grid.add_column(header, overflow="fold")
        elif kind in ("time", "list"):
            grid.add_column(header, overflow="fold", min_width=w)
        else:
            # A fixed width: the table shrinks the text columns, never these.
            grid.add_column(header, no_wrap=True, width=n, min_width=n,
                            justify="right" if kind == "number" else "left")
    for row in rows:
        grid.add_row(*map(str, row))
    for row in footer:
        grid.add_row(*map(str, row), style="bold")
    console.print(grid)


def _blocks(console: Console, title: str, columns: Sequence[tuple[str, str]],
            rows: Sequence[Sequence[str]]) -> None:
    if title:
        console.print(f"[bold]{title}[/bold]")
    for row in rows:
        console.print()
        for (header, _), value in zip(columns, row, strict=True):
            label = " ".join(header.split())  # a two-line header on one line
            console.print(f"{label}: {value}", overflow="fold")


def say(text: str, file: TextIO | None = None) -> None:
    """A line of prose (rich markup allowed): wrapped at word boundaries to the terminal,
    or whole to a pipe or a file."""
    file = file or sys.stdout
    width = _terminal_width(file)
    console = Console(file=file, width=width or 80, soft_wrap=width is None, highlight=False)
    console.print(text, overflow="fold")
