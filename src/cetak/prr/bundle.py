"""Pack a PRR file (.csv, .jsonl, .xlsx) and the images it names into one .zip for upload.

The controller receives one stream of bytes; a CSV alone would arrive without its photos.
The file goes in as it is, under its own name (the controller's reader finds it by its
extension and reads every form the local one does); the images are found by reading it with
the same reader, so a `;`-separated cp1252 CSV or a workbook names its photos as well as a
plain CSV. Only files the records name, that stay inside the file's folder and are regular
files, are packed; anything else, an unreadable file too, is left for the controller's
validation to report by line and field.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

from cetak.prr.errors import InputUnusable, UnsafePath
from cetak.prr.media import safe_relative_path
from cetak.prr.reader import open_input
from cetak.prr.schema import DEFAULT_LIMITS, FIELDS

IMAGE_FIELDS = ("foto", "tanda_tangan")
_IMAGES = tuple(FIELDS.index(k) for k in IMAGE_FIELDS)


def _referenced(path: Path) -> Iterator[str]:
    try:
        opened = open_input(path, DEFAULT_LIMITS)
    except InputUnusable:
        return  # the controller names the problem; the file alone is enough for that
    try:
        for _line, values, _problem in opened.rows:
            if values is not None:
                yield from (values[i].strip(" ") for i in _IMAGES)
    except InputUnusable:
        return  # as above: what was found so far is packed
    finally:
        opened.close()


def bundle_prr(path: Path, out_zip: Path) -> Path:
    """Write `out_zip` holding `path` (at the root) and the images its records name."""
    root = path.parent.resolve()
    packed: set[str] = set()
    with zipfile.ZipFile(out_zip, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.write(path, arcname=path.name)
        for ref in _referenced(path):
            if not ref:
                continue
            try:
                key = safe_relative_path(ref)
            except UnsafePath:
                continue
            if key in packed:
                continue
            source = root / key
            if source.is_symlink() or not source.is_file():
                continue
            zf.write(source, arcname=key)
            packed.add(key)
    return out_zip
