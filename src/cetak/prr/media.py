"""Where photos and signatures come from: a folder, a .zip, or memory (synthetic records).

A record names its images by a path relative to the data file (or to the folder of the data
file inside a .zip). `safe_relative_path` is the single lexical gate: no absolute paths, no
drive letters, no `..`, backslashes read as separators (a Windows export or a zip-slip
attempt). Each source then refuses symbolic links in its own way.
"""

from __future__ import annotations

import errno
import os
import stat
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO, Protocol

from cetak.prr.errors import UnsafePath


def safe_relative_path(path: str) -> str:
    """`path` as a normalised relative key "a/b.jpg", or UnsafePath when it could escape."""
    if not path.isprintable():  # control, invisible, lone surrogates (unencodable names)
        raise UnsafePath("path contains a control or invisible character")
    unified = path.replace("\\", "/")
    if unified.startswith("/") or (len(unified) >= 2 and unified[1] == ":"):
        raise UnsafePath("absolute path")
    parts = [p for p in unified.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise UnsafePath("path leaves its folder (..)")
    if not parts:
        raise UnsafePath("path names no file")
    return "/".join(parts)


class MediaSource(Protocol):
    """Opens images by the normalised key of `safe_relative_path`."""

    def open(self, key: str) -> tuple[BinaryIO, int]:
        """A binary stream and its size; FileNotFoundError or UnsafePath."""
        ...

    def close(self) -> None: ...


def read_bounded(source: MediaSource, key: str, max_bytes: int) -> bytes:
    """The whole file, refusing (ValueError) one larger than `max_bytes`."""
    fp, size = source.open(key)
    with fp:
        if size > max_bytes:
            raise ValueError(f"larger than {max_bytes} bytes")
        data = fp.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValueError(f"larger than {max_bytes} bytes")
    return data


class FolderMedia:
    """Images in the folder of a CSV/JSONL file on disk."""

    _SAFE_DIRS_MAX = 10_000

    def __init__(self, base: str | os.PathLike[str]) -> None:
        self._base = os.path.realpath(base)
        self._safe_dirs: set[str] = set()

    def open(self, key: str) -> tuple[BinaryIO, int]:
        parent = key.rpartition("/")[0]
        if parent not in self._safe_dirs:
            # realpath resolves every link on the way; any difference means a link would be
            # followed. Checked once per folder: photos share a few folders.
            folder = os.path.join(self._base, *parent.split("/")) if parent else self._base
            if os.path.realpath(folder) != folder:
                raise UnsafePath("path goes through a symbolic link")
            if len(self._safe_dirs) < self._SAFE_DIRS_MAX:
                self._safe_dirs.add(parent)
        full = os.path.join(self._base, *key.split("/"))
        try:
            # O_NOFOLLOW refuses a link as the last component without a separate lstat.
            fd = os.open(full, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise UnsafePath("path goes through a symbolic link") from None
            raise
        mode = os.fstat(fd)
        if not stat.S_ISREG(mode.st_mode):
            os.close(fd)
            raise FileNotFoundError(key)
        return os.fdopen(fd, "rb"), mode.st_size

    def close(self) -> None:
        return None


class ZipMedia:
    """Images inside a .zip, relative to the folder of the data file in it.

    The archive is opened lazily and reopened after `close()`, so records may outlive the
    validation run that produced them.
    """

    def __init__(self, zip_path: str | os.PathLike[str], base: str = "") -> None:
        self._path = Path(zip_path)
        self._base = base
        self._zf: zipfile.ZipFile | None = None

    def _archive(self) -> zipfile.ZipFile:
        if self._zf is None:
            self._zf = zipfile.ZipFile(self._path)
        return self._zf

    def open(self, key: str) -> tuple[BinaryIO, int]:
        zf = self._archive()
        name = f"{self._base}/{key}" if self._base else key
        try:
            info = zf.getinfo(name)
        except KeyError:
            raise FileNotFoundError(key) from None
        if info.is_dir():
            raise FileNotFoundError(key)
        if stat.S_ISLNK(info.external_attr >> 16):
            raise UnsafePath("path is a symbolic link")
        if info.flag_bits & 0x1:
            raise FileNotFoundError(f"{key} is encrypted")
        return zf.open(info), info.file_size

    def close(self) -> None:
        if self._zf is not None:
            self._zf.close()
            self._zf = None


class MemoryMedia:
    """Images held in memory by key (synthetic records for the demo and tests)."""

    def __init__(self, files: Mapping[str, bytes]) -> None:
        self._files = dict(files)

    def open(self, key: str) -> tuple[BinaryIO, int]:
        import io

        try:
            data = self._files[key]
        except KeyError:
            raise FileNotFoundError(key) from None
        return io.BytesIO(data), len(data)

    def close(self) -> None:
        return None
