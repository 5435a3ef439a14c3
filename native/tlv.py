"""BER-TLV for the chip data groups: `Tlv` nodes, `encode` and `decode` (the work is done in C).

A tag is its bytes read big-endian (0x61, 0x5F1F, 0x7F61). Constructed tags (bit 0x20 of the
first tag byte) hold a tuple of children; primitive tags hold bytes. Lengths use the short form
below 128 and the long form (0x81..0x84) above; indefinite lengths are rejected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from . import core
from .errors import TlvError

__all__ = ["Tlv", "TlvError", "decode", "encode", "is_constructed"]


def is_constructed(tag: int) -> bool:
    """Whether the tag's first byte has the constructed bit (0x20)."""
    first = tag
    while first > 0xFF:
        first >>= 8
    return bool(first & 0x20)


@dataclass(frozen=True)
class Tlv:
    tag: int
    value: bytes | tuple[Tlv, ...]

    @property
    def constructed(self) -> bool:
        return isinstance(self.value, tuple)

    def find(self, tag: int) -> Tlv | None:
        """The first child with this tag (constructed nodes only), or None."""
        if isinstance(self.value, tuple):
            for child in self.value:
                if child.tag == tag:
                    return child
        return None


def encode(nodes: Sequence[Tlv]) -> bytes:
    """DER-style encoding of the nodes, in order."""
    flat: list[tuple[int, int, int, int]] = []
    values = bytearray()

    def walk(node: Tlv, depth: int) -> None:
        if depth > 32:
            raise TlvError("nesting deeper than 32")
        if isinstance(node.value, tuple):
            flat.append((node.tag, len(node.value), 0, 0))
            for child in node.value:
                walk(child, depth + 1)
        elif isinstance(node.value, bytes | bytearray | memoryview):
            flat.append((node.tag, -1, len(values), len(node.value)))
            values.extend(node.value)
        else:
            raise TlvError(f"tag {node.tag:#x}: value must be bytes or a tuple of Tlv, "
                           f"not {type(node.value).__name__}")

    for node in nodes:
        walk(node, 0)
    return core.tlv_encode_nodes(flat, bytes(values))


def decode(data: bytes) -> tuple[Tlv, ...]:
    """The top-level nodes of data; TlvError (with the byte offset) when malformed."""
    flat = core.tlv_decode_nodes(bytes(data))
    children: list[list[Tlv]] = [[] for _ in flat]
    top: list[Tlv] = []
    # pre-order input: walking backwards, every node's children are complete when we reach it
    for i in range(len(flat) - 1, -1, -1):
        tag, parent, constructed, off, length = flat[i]
        value: bytes | tuple[Tlv, ...]
        value = tuple(reversed(children[i])) if constructed else bytes(data[off:off + length])
        (children[parent] if parent >= 0 else top).append(Tlv(tag, value))
    return tuple(reversed(top))
