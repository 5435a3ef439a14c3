"""Encryption at rest for lease payloads: the journal key and AES-GCM sealing.

The payload of a lease is a citizen's personal data (name, NIK, photo). It is sealed with
AES-256-GCM under a key that never lives in the journal file: it comes from a file only its owner
can read (mode 0600 or stricter) or from an environment variable (base64), as a service manager
or a secrets store would provide it. Each row gets a fresh random 96-bit nonce; the lease id is
the associated data, so a ciphertext moved to another row does not decrypt.
"""

from __future__ import annotations

import base64
import binascii
import os
import stat
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from cetak.agent.errors import JournalError, JournalKeyError

KEY_BYTES = 32
NONCE_BYTES = 12


def load_key_file(path: str | Path) -> bytes:
    """Read a 32-byte key from `path`, refusing a file that group or others may access.

    The file holds either the 32 raw bytes or their base64 text (one line), so it can be made
    with `head -c 32 /dev/urandom > key` or `openssl rand -base64 32 > key`.
    """
    path = Path(path)
    try:
        st = path.stat()
    except OSError as exc:
        raise JournalKeyError(f"journal key file {path}: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(st.st_mode):
        raise JournalKeyError(f"journal key file {path}: not a regular file")
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o077:
        raise JournalKeyError(
            f"journal key file {path}: mode {mode:04o} lets other users read it; "
            f"run `chmod 600 {path}`")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise JournalKeyError(f"journal key file {path}: {exc.strerror or exc}") from exc
    return _decode_key(raw, f"journal key file {path}")


def load_key_env(name: str, environ: dict[str, str] | None = None) -> bytes:
    """Read a base64-encoded 32-byte key from the environment variable `name`."""
    env = os.environ if environ is None else environ
    value = env.get(name)
    if not value:
        raise JournalKeyError(f"journal key variable {name} is not set")
    try:
        key = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise JournalKeyError(f"journal key variable {name}: not valid base64") from exc
    if len(key) != KEY_BYTES:
        raise JournalKeyError(f"journal key variable {name}: decodes to {len(key)} bytes, "
                              f"expected {KEY_BYTES}")
    return key


def _decode_key(raw: bytes, where: str) -> bytes:
    if len(raw) == KEY_BYTES:
        return raw
    try:
        key = base64.b64decode(raw.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise JournalKeyError(f"{where}: expected {KEY_BYTES} raw bytes or their base64") from exc
    if len(key) != KEY_BYTES:
        raise JournalKeyError(f"{where}: key is {len(key)} bytes, expected {KEY_BYTES}")
    return key


class Sealer:
    """AES-GCM with a per-row random nonce; the stored form is nonce || ciphertext+tag."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise JournalKeyError(f"journal key is {len(key)} bytes, expected {KEY_BYTES}")
        self._aead = AESGCM(key)

    def seal(self, plaintext: bytes, associated: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext, associated.encode("utf-8"))

    def open(self, sealed: bytes, associated: str) -> bytes:
        if len(sealed) < NONCE_BYTES + 16:
            raise JournalError(f"sealed payload of {associated} is truncated")
        try:
            return self._aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:],
                                      associated.encode("utf-8"))
        except InvalidTag as exc:
            raise JournalError(f"payload of {associated} does not decrypt: wrong journal key "
                               "or a damaged journal") from exc
