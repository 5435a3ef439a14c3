"""Fixtures for PRR tests: a folder with images and writers of CSV and JSONL inputs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from cetak.prr.schema import FIELDS
from tests.prr.prrdata import csv_text


@pytest.fixture(scope="session")
def media() -> dict[str, bytes]:
    from cetak.prr.synthetic import media_files

    return media_files(seed=0, photo_count=1, signature_count=1)


@pytest.fixture
def folder(tmp_path: Path, media: dict[str, bytes]) -> Path:
    """A folder holding the shared images."""
    for rel, data in media.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(data)
    return tmp_path


@pytest.fixture
def write_csv(folder: Path) -> Callable[..., Path]:
    def write(rows: list[dict[str, str]], fields: tuple[str, ...] = FIELDS,
              name: str = "prr.csv") -> Path:
        path = folder / name
        path.write_text(csv_text(rows, fields), encoding="utf-8")
        return path
    return write


@pytest.fixture
def write_jsonl(folder: Path) -> Callable[..., Path]:
    def write(lines: list[object], name: str = "prr.jsonl") -> Path:
        path = folder / name
        path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n"
                                for x in lines), encoding="utf-8")
        return path
    return write
