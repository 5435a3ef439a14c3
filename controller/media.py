"""Photos and signatures stored once by content, joined into a lease's CardRecord.

A record's stored payload is its CardRecord with empty `foto`/`tanda_tangan` and their sha256
in `foto_sha256`/`tanda_tangan_sha256` (controller/importer.py). A million records of a
campaign then cost one copy of each distinct image, and the records table stays small enough
to scan. `attach_media` is the one place that puts the bytes back, when a lease is built, with
a small per-process LRU cache: the same image is fetched once while it is in use (shared
placeholder photos, a lease resent on reconnect).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Protocol

CACHE_MAX_BYTES = 32 * 1024 * 1024


class MediaStore(Protocol):
    def media(self, sha256: str) -> bytes: ...


class _LruBytes:
    """sha256 -> bytes, bounded by total size. Content-addressed, so one cache serves every
    store in the process: a hash names the same bytes wherever it came from."""

    def __init__(self, max_bytes: int) -> None:
        self._max = max_bytes
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            data = self._items.get(key)
            if data is not None:
                self._items.move_to_end(key)
            return data

    def put(self, key: str, data: bytes) -> None:
        if len(data) > self._max // 4:
            return  # one huge image would evict everything useful
        with self._lock:
            if key in self._items:
                return
            self._items[key] = data
            self._size += len(data)
            while self._size > self._max:
                _, old = self._items.popitem(last=False)
                self._size -= len(old)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._size = 0


_cache = _LruBytes(CACHE_MAX_BYTES)
# Wire tags of CardRecord.foto_sha256 (field 26) and tanda_tangan_sha256 (27), length-delimited:
# varint((field << 3) | 2).
_FOTO_SHA_TAG = bytes([(26 << 3 | 2) & 0x7F | 0x80, (26 << 3 | 2) >> 7])
_TTD_SHA_TAG = bytes([(27 << 3 | 2) & 0x7F | 0x80, (27 << 3 | 2) >> 7])


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch(store: MediaStore, sha256: str) -> bytes:
    data = _cache.get(sha256)
    if data is None:
        data = store.media(sha256)
        _cache.put(sha256, data)
    return data


def attach_media(store: MediaStore, payload: bytes) -> bytes:
    """The payload with its images put back; a payload that already carries its images (or
    has none) is returned as it is."""
    if _FOTO_SHA_TAG not in payload and _TTD_SHA_TAG not in payload:
        # Neither hash field can be present: skip parsing (the lease path's common case for
        # payloads stored before media existed). A match may be a false positive inside
        # another field's bytes; parsing below decides.
        return payload
    from cetak.api.v1.common_pb2 import CardRecord

    record = CardRecord.FromString(payload)
    if not record.foto_sha256 and not record.tanda_tangan_sha256:
        return payload
    if record.foto_sha256 and not record.foto:
        record.foto = fetch(store, record.foto_sha256)
    if record.tanda_tangan_sha256 and not record.tanda_tangan:
        record.tanda_tangan = fetch(store, record.tanda_tangan_sha256)
    return record.SerializeToString()
