"""Writing PKI files: atomic, exact modes, never silently over an existing file."""

from __future__ import annotations

import errno
import os
import secrets
from pathlib import Path

from cetak.security.errors import PkiError, PkiExistsError

KEY_MODE = 0o600
CERT_MODE = 0o644
DIR_MODE = 0o700


def ensure_dir(path: Path) -> None:
    """Create the PKI folder 0700 (it holds the CA key); leave an existing folder's mode alone."""
    if path.is_dir():
        return
    try:
        path.mkdir(mode=DIR_MODE, parents=True)
        os.chmod(path, DIR_MODE)  # mkdir's mode is filtered by the umask
    except OSError as exc:
        raise PkiError(f"cannot create folder: {exc.strerror}", path) from exc


def refuse_existing(paths: list[Path], force: bool) -> None:
    """Fail before writing anything, so a refused run leaves no half-made PKI behind."""
    if force:
        return
    existing = [p for p in paths if p.exists()]
    if existing:
        raise PkiExistsError("already exists; pass --force to replace it", existing[0])


def write_atomic(path: Path, data: bytes, mode: int, *, force: bool) -> None:
    """Write ``data`` to ``path`` with exactly ``mode``.

    The bytes go to a new temporary file (O_EXCL: never an attacker's pre-made file or
    symlink) that gets its final mode before any secret is written, then appear under the
    final name in one step: os.link, which fails if the name exists, or os.replace with force.
    """
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(tmp, flags, mode)
    except OSError as exc:
        raise PkiError(f"cannot create: {exc.strerror}", tmp) from exc
    try:
        try:
            os.fchmod(fd, mode)  # the umask may have taken bits away (or left too many)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        if force:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise PkiExistsError("already exists; pass --force to replace it",
                                     path) from None
    except OSError as exc:
        raise PkiError(f"cannot write: {exc.strerror}", path) from exc
    finally:
        try:
            os.unlink(tmp)
        except OSError as exc:
            if exc.errno != errno.ENOENT:
                raise
    _fsync_dir(path.parent)


def _fsync_dir(path: Path) -> None:
    # Makes the new directory entry durable; some file systems refuse fsync on a folder.
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise PkiError(f"cannot read: {exc.strerror}", path) from exc
