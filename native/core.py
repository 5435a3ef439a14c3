"""The doorway to the C core's card functions: every ffi.new, buffer hand-over and return-code
check of them is here (the PRR import's fast path has its own, prr.py).

C return codes become the exceptions of errors.py with the C message and byte offset. cffi
releases the GIL around every lib call (API mode), so encodes on several threads run in parallel.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from ._core import ffi, lib
from .errors import EncodeError, NativeError, StreamError, TlvError
from .ribbons import PANEL_ORDER, panel_bits, ribbon_panels
from .types import (
    CARD_HEIGHT,
    CARD_WIDTH,
    Command,
    DecodedJob,
    EncodedJob,
    JobOptions,
    Panel,
    RenderedSide,
)

DIALECTS = ("evolis", "magicard")
PANEL_LINES = 1016
_SIDES = ("front", "back")
# Output buffers are sized by an upper bound and then copied out; clearing them first would
# only cost time.
_alloc = ffi.new_allocator(should_clear_after_alloc=False)
# Per-thread work and output areas reused across encodes: fresh multi-megabyte buffers on every
# card cost more in page faults than the encoding itself.
_workspace = threading.local()


def _buffer(name: str, size: int) -> Any:
    buf = getattr(_workspace, name, None)
    if buf is None or len(buf) < size:
        buf = _alloc("uint8_t[]", size)
        setattr(_workspace, name, buf)
    return buf


def simd_paths() -> frozenset[str]:
    """The SIMD paths the core takes on this machine: "panels" (AVX-512 VBMI tone-curve lookups
    and bit packing) and "compress" (the AVX-512 VBMI2 Evolis colour compressor). Where one is
    missing, `portable=True` runs the very same code as the default."""
    bits = lib.cetak_simd_paths()
    return frozenset(name for name, bit in (("panels", lib.CETAK_SIMD_PANELS),
                                            ("compress", lib.CETAK_SIMD_COMPRESS)) if bits & bit)


def _raise(exc_type: type[NativeError], err: Any, with_offset: bool = True) -> None:
    message = ffi.string(err.message).decode("utf-8", "replace")
    raise exc_type(message, int(err.offset) if with_offset else None)


# ---- inputs --------------------------------------------------------------------------------


def _side(side: RenderedSide, which: str, keep: list[Any]) -> Any:
    """A cetak_side pointing into the side's arrays (kept alive through `keep`)."""
    rgb = np.ascontiguousarray(side.rgb)
    k = np.ascontiguousarray(side.k_mask)
    o = np.ascontiguousarray(side.o_mask)
    if rgb.dtype != np.uint8 or rgb.shape != (CARD_HEIGHT, CARD_WIDTH, 3):
        raise EncodeError(
            f"{which} side: rgb must be uint8 of shape {(CARD_HEIGHT, CARD_WIDTH, 3)}, "
            f"not {rgb.dtype} {rgb.shape}")
    for name, mask in (("k_mask", k), ("o_mask", o)):
        if mask.shape != (CARD_HEIGHT, CARD_WIDTH) or mask.dtype not in (np.bool_, np.uint8):
            raise EncodeError(
                f"{which} side: {name} must be bool or uint8 of shape {(CARD_HEIGHT, CARD_WIDTH)}")
    k = k.view(np.uint8)
    o = o.view(np.uint8)
    c_side = ffi.new("cetak_side *")
    bufs = [ffi.from_buffer(a) for a in (rgb, k, o)]
    keep.extend((rgb, k, o, *bufs, c_side))
    c_side.rgb, c_side.k_mask, c_side.o_mask = bufs
    c_side.rgb_len, c_side.k_len, c_side.o_len = rgb.nbytes, k.nbytes, o.nbytes
    return c_side


def tone_curves_bytes(options: JobOptions) -> bytes | None:
    """The (3, 256) tone curves as 768 bytes, or None for identity; EncodeError if malformed."""
    if options.tone_curves is None:
        return None
    curves = np.asarray(options.tone_curves)
    if curves.shape != (3, 256) or curves.dtype != np.uint8:
        raise EncodeError(f"tone_curves must be uint8 of shape (3, 256), not {curves.dtype} "
                          f"{curves.shape}")
    return curves.tobytes()


def contrast_values(options: JobOptions) -> list[int]:
    """Pc values in panel order (y, m, c, k, o); NO_CONTRAST where not set."""
    values = [lib.CETAK_NO_CONTRAST] * 5
    for panel, value in options.contrast:
        if panel not in PANEL_ORDER or not -99 <= int(value) <= 99:
            raise EncodeError(f"contrast ({panel!r}, {value}) needs a panel in {PANEL_ORDER!r} "
                              "and a value within -99..99")
        values[PANEL_ORDER.index(panel)] = int(value)
    return values


def _opts(options: JobOptions, keep: list[Any]) -> Any:
    front, back = ribbon_panels(options.ribbon)
    c_opts = ffi.new("cetak_job_opts *")
    ribbon = ffi.new("char[]", options.ribbon.encode("ascii", "replace"))
    curves = tone_curves_bytes(options)
    contrast = ffi.new("int[5]", contrast_values(options))
    keep.extend((c_opts, ribbon, contrast))
    c_opts.levels = int(options.levels)
    c_opts.compress = int(bool(options.compress))
    c_opts.contactless = int(bool(options.contactless))
    c_opts.front_panels = panel_bits(front)
    c_opts.back_panels = panel_bits(back)
    c_opts.ribbon = ribbon
    if curves is not None:
        c_curves = ffi.from_buffer(curves)
        keep.append(c_curves)
        c_opts.curves = c_curves
        c_opts.curves_len = len(curves)
    c_opts.contrast = contrast
    c_opts.contrast_len = 5
    return c_opts


# ---- panels and encoders ---------------------------------------------------------------------


def panels(side: RenderedSide, options: JobOptions, *,
           portable: bool = False) -> dict[str, np.ndarray]:
    """Y, M, C (levels-depth values), K, O (0/1) of one side, each (1016, 648), Evolis orientation.

    portable=True skips the SIMD paths (the tests check both give the same bytes).
    """
    keep: list[Any] = []
    c_side = _side(side, "card", keep)
    c_opts = _opts(options, keep)
    c_opts.scalar_only = int(portable)
    out = np.empty((5, PANEL_LINES, CARD_HEIGHT), np.uint8)
    err = ffi.new("cetak_error *")
    if lib.cetak_panels(c_side, c_opts, ffi.from_buffer(out), out.nbytes, err) != lib.CETAK_OK:
        _raise(EncodeError, err, with_offset=False)
    return {p: out[i] for i, p in enumerate(PANEL_ORDER)}


def encode_job(dialect: str, front: RenderedSide, back: RenderedSide | None,
               options: JobOptions, *, portable: bool = False) -> EncodedJob:
    """The dialect's full command stream for one card (duplex when back is given).

    portable=True skips the SIMD paths (the tests check both give the same bytes).
    """
    if dialect not in DIALECTS:
        raise EncodeError(f"unknown dialect {dialect!r}; known: {', '.join(DIALECTS)}")
    keep: list[Any] = []
    c_front = _side(front, "front", keep)
    c_back = _side(back, "back", keep) if back is not None else ffi.NULL
    c_opts = _opts(options, keep)
    c_opts.scalar_only = int(portable)
    err = ffi.new("cetak_error *")
    out_len = ffi.new("size_t *")
    duplex = int(back is not None)
    work_len = lib.cetak_encode_work_size(c_opts)
    work = _buffer("work", work_len)
    if dialect == "evolis":
        cap = lib.cetak_evolis_max_size(c_opts, duplex)
        out = _buffer("out", cap)
        chip = ffi.new("size_t *")
        rc = lib.cetak_evolis_encode(c_front, c_back, c_opts, work, work_len, out, cap, out_len,
                                     chip, err)
        chip_offset = int(chip[0]) if options.contactless else None
    else:
        cap = lib.cetak_magicard_max_size(c_opts, duplex)
        out = _buffer("out", cap)
        rc = lib.cetak_magicard_encode(c_front, c_back, c_opts, work, work_len, out, cap,
                                       out_len, err)
        chip_offset = None
    if rc != lib.CETAK_OK:
        _raise(EncodeError, err, with_offset=False)
    return EncodedJob(data=ffi.buffer(out, out_len[0])[:], chip_offset=chip_offset)


def compress_panel(dots: np.ndarray, levels: int) -> bytes:
    """An Evolis panel (1016, 648) of dot values as a Dbc payload (levels 2, 32, 64 or 128)."""
    arr = np.ascontiguousarray(dots, dtype=np.uint8)
    if arr.shape != (PANEL_LINES, CARD_HEIGHT):
        raise EncodeError(f"a panel is {(PANEL_LINES, CARD_HEIGHT)} dots, not {arr.shape}")
    cap = lib.cetak_evolis_compress_max()
    out = _buffer("compress", cap)
    out_len = ffi.new("size_t *")
    err = ffi.new("cetak_error *")
    rc = lib.cetak_evolis_compress(ffi.from_buffer(arr), arr.size, int(levels), out, cap, out_len,
                                   err)
    if rc != lib.CETAK_OK:
        _raise(EncodeError, err, with_offset=False)
    return ffi.buffer(out, out_len[0])[:]


# ---- framing and decoding ------------------------------------------------------------------


def frame(dialect: str, buf: bytes) -> int:
    """Length of the first complete unit at the start of buf; 0 if more bytes are needed.

    Evolis: one command (a download with its payload and CR), or a run of 0x00 padding bytes.
    Magicard: one whole job, or one control/status message. StreamError on garbage.
    """
    if dialect not in DIALECTS:
        raise StreamError(f"unknown dialect {dialect!r}; known: {', '.join(DIALECTS)}")
    src = ffi.from_buffer(buf)
    unit = ffi.new("size_t *")
    err = ffi.new("cetak_error *")
    fn = lib.cetak_evolis_frame if dialect == "evolis" else lib.cetak_magicard_frame
    if fn(src, len(buf), unit, err) != lib.CETAK_OK:
        _raise(StreamError, err)
    return int(unit[0])


def decode_stream(data: bytes) -> DecodedJob:
    """Commands and panels of an Evolis or Magicard stream (dialect detected from the bytes).

    StreamError also for a stream above the decoder's limits: more than CETAK_MAX_PANELS (64)
    panels or CETAK_MAX_COMMANDS (4096) commands."""
    src = ffi.from_buffer(data)
    err = ffi.new("cetak_error *")
    dialect = ffi.new("int *")
    n_cmds, n_panels, dots_len = (ffi.new("size_t *") for _ in range(3))
    if lib.cetak_scan(src, len(data), dialect, n_cmds, n_panels, dots_len, err) != lib.CETAK_OK:
        _raise(StreamError, err)
    cmds = ffi.new("cetak_cmd[]", max(1, n_cmds[0]))
    c_panels = ffi.new("cetak_panel[]", max(1, n_panels[0]))
    dots = np.empty(dots_len[0], np.uint8)
    rc = lib.cetak_decode(src, len(data), cmds, n_cmds[0], n_cmds, c_panels, n_panels[0],
                          n_panels, ffi.from_buffer(dots), dots.nbytes, err)
    if rc != lib.CETAK_OK:
        _raise(StreamError, err)
    name = "evolis" if dialect[0] == lib.CETAK_DIALECT_EVOLIS else "magicard"
    commands = []
    for i in range(n_cmds[0]):
        c = cmds[i]
        text = bytes(data[c.text_off:c.text_off + c.text_len]).decode("ascii")
        if c.kind == lib.CETAK_CMD_JOB:
            commands.append(Command("JOB", [], c.offset))
        elif c.kind == lib.CETAK_CMD_END:
            commands.append(Command("END", [], c.offset))
        elif c.kind == lib.CETAK_CMD_PLANE:
            commands.append(Command("PLANE", [text], c.offset))
        elif c.kind == lib.CETAK_CMD_CONTROL:
            parts = [p for p in text.split(",") if p]
            commands.append(Command(parts[0] if parts else "", parts[1:], c.offset))
        elif name == "evolis":
            parts = text.split(";")
            commands.append(Command(parts[0], parts[1:], c.offset))
        else:  # Magicard header token: name, then its value and any continuation values
            rest = text[c.name_len:]
            commands.append(Command(text[:c.name_len], rest.split(",") if rest else [], c.offset))
    result = []
    for i in range(n_panels[0]):
        p = c_panels[i]
        size = p.width * p.height
        view = dots[p.dots_off:p.dots_off + size].reshape(p.height, p.width)
        result.append(Panel(_SIDES[p.side], p.panel.decode("ascii"), p.levels, p.width,
                            p.height, view))
    return DecodedJob(name, commands, result)


def dots_printed(panel: Panel) -> int:
    """Non-zero dots of a decoded panel."""
    return int(np.count_nonzero(panel.dots))


# ---- BER-TLV -------------------------------------------------------------------------------


def tlv_decode_nodes(data: bytes) -> list[tuple[int, int, bool, int, int]]:
    """Flat pre-order nodes (tag, parent index, constructed, value offset, value length)."""
    src = ffi.from_buffer(data)
    err = ffi.new("cetak_error *")
    count = ffi.new("size_t *")
    if lib.cetak_tlv_decode(src, len(data), ffi.NULL, 0, count, err) != lib.CETAK_OK:
        _raise(TlvError, err)
    nodes = ffi.new("cetak_tlv_node[]", max(1, count[0]))
    if lib.cetak_tlv_decode(src, len(data), nodes, count[0], count, err) != lib.CETAK_OK:
        _raise(TlvError, err)
    return [(n.tag, n.parent, bool(n.constructed), n.value_off, n.value_len)
            for n in (nodes[i] for i in range(count[0]))]


def tlv_encode_nodes(flat: list[tuple[int, int, int, int]], values: bytes) -> bytes:
    """Encode pre-order nodes (tag, n_children or -1, value offset, value length)."""
    err = ffi.new("cetak_error *")
    out_len = ffi.new("size_t *")
    nodes = ffi.new("cetak_tlv_in[]", max(1, len(flat)))
    for i, (tag, n_children, off, length) in enumerate(flat):
        if not 0 <= tag <= 0xFFFFFFFF:
            raise TlvError(f"tag {tag:#x} does not fit 4 bytes")
        nodes[i].tag = tag
        nodes[i].n_children = n_children
        nodes[i].value_off = off
        nodes[i].value_len = length
    vals = ffi.from_buffer(values)
    rc = lib.cetak_tlv_encode(nodes, len(flat), vals, len(values), ffi.NULL, 0, out_len, err)
    if rc != lib.CETAK_OK:
        _raise(TlvError, err, with_offset=False)
    out = _alloc("uint8_t[]", max(1, out_len[0]))
    rc = lib.cetak_tlv_encode(nodes, len(flat), vals, len(values), out, out_len[0], out_len, err)
    if rc != lib.CETAK_OK:
        _raise(TlvError, err, with_offset=False)
    return ffi.buffer(out, out_len[0])[:]
