"""What the virtual printer leaves behind: card images, chip files and the physical log.

The log (`produced.jsonl`, one JSON object per line, append-only, flushed to disk per card) lists
every blank that left the hopper: its serial, the record it was meant for, and what physically
came out — `printed`, `spoiled` (with the reason) or `interrupted` (power lost with the card
inside). Drills compare it with the controller's ledger: printed <-> PRINTED, spoiled <-> SPOILED,
interrupted <-> UNKNOWN. It holds record ids and blank serials only, never personal data.
"""

from __future__ import annotations

import json
import os
import re
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

LOG_NAME = "produced.jsonl"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def safe_name(name: str) -> str:
    """A file name that cannot leave the output folder."""
    cleaned = _UNSAFE.sub("_", name).lstrip(".")
    return cleaned[:120] or "card"


class OutputWriter:
    def __init__(self, out_dir: Path | None) -> None:
        self.out_dir = out_dir
        self._lock = threading.Lock()
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)

    @property
    def log_path(self) -> Path | None:
        return None if self.out_dir is None else self.out_dir / LOG_NAME

    def write_card(self, name: str, images: dict[str, Any], chip: bytes | None) -> None:
        """`<name>.front.png`, `<name>.back.png` (if printed), `<name>.chip` (if written)."""
        if self.out_dir is None:
            return
        base = safe_name(name)
        for side, image in images.items():
            if image is not None:
                image.save(self.out_dir / f"{base}.{side}.png")
        if chip is not None:
            (self.out_dir / f"{base}.chip").write_bytes(chip)

    def log(self, entry: dict[str, Any]) -> None:
        path = self.log_path
        if path is None:
            return
        entry = {**entry, "at": datetime.now(UTC).isoformat(timespec="milliseconds")}
        line = json.dumps(entry, sort_keys=True) + "\n"
        with self._lock, open(path, "a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())


def read_log(out_dir: Path) -> list[dict[str, Any]]:
    """The physical log as a list of entries (empty if nothing was produced)."""
    path = out_dir / LOG_NAME
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
