"""Pack a CSV/JSONL PRR file and the images it names into one .zip for upload.

The controller receives one stream of bytes; a CSV alone would arrive without its photos.
Only files the records name, that stay inside the file's folder and are regular files, are
packed; anything else is left for the controller's validation to report by line and field.
"""

from __future__ import annotations

import csv
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

from cetak.prr.errors import UnsafePath
from cetak.prr.media import safe_relative_path

IMAGE_FIELDS = ("foto", "tanda_tangan")


def _referenced(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8", errors="replace", newline="") as f:
        if path.suffix.lower() == ".jsonl":
            for line in f:
                try:
                    row = json.loads(line)
                except ValueError:
                    continue
                if isinstance(row, dict):
                    yield from (str(row.get(k) or "") for k in IMAGE_FIELDS)
        else:
            for row in csv.DictReader(f):
                yield from ((row.get(k) or "") for k in IMAGE_FIELDS)


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
