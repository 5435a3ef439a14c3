"""Pure NumPy reference of the native encoders: panels, Evolis and Magicard streams.

The test oracle (byte-identical output to the C core) and the benchmark baseline. It is written
for clarity and vectorised where NumPy allows, not tuned. Decoding and BER-TLV have no reference
here: their tests check them against the vendor captures and round trips instead.
"""

from __future__ import annotations

import numpy as np

from .core import DIALECTS, contrast_values, tone_curves_bytes
from .errors import EncodeError
from .ribbons import PANEL_ORDER, ribbon_panels
from .types import CARD_HEIGHT, CARD_WIDTH, EncodedJob, JobOptions, RenderedSide

ESC, CR = b"\x1b", b"\r"
LINES = CARD_WIDTH          # panel lines run along the card's long edge
EVOLIS_W = CARD_HEIGHT      # 648 dots per Evolis line
MAGICARD_W = 672
NO_CONTRAST = -1000
_BITS = {2: 1, 32: 5, 64: 6, 128: 7, 256: 8}


def _bits(levels: int) -> int:
    bits = _BITS.get(int(levels), 0)
    if bits < 5:
        raise EncodeError(f"levels must be 32, 64, 128 or 256, not {levels}")
    return bits


def _luts(options: JobOptions) -> np.ndarray:
    """(3, 256): canvas byte of B, G, R -> Y, M, C dot value."""
    bits = _bits(options.levels)
    curves_bytes = tone_curves_bytes(options)
    ink = 255 - np.arange(256)
    if curves_bytes is None:
        curved = np.stack([ink] * 3)
    else:
        curves = np.frombuffer(curves_bytes, np.uint8).reshape(3, 256)
        curved = curves[:, ink].astype(np.int64)
    return (curved >> (8 - bits)).astype(np.uint8)


def _check_side(side: RenderedSide, which: str) -> None:
    if side.rgb.shape != (CARD_HEIGHT, CARD_WIDTH, 3) or side.rgb.dtype != np.uint8:
        raise EncodeError(
            f"{which} side: rgb must be uint8 of shape {(CARD_HEIGHT, CARD_WIDTH, 3)}")
    for mask in (side.k_mask, side.o_mask):
        if mask.shape != (CARD_HEIGHT, CARD_WIDTH):
            raise EncodeError(f"{which} side: masks must have shape {(CARD_HEIGHT, CARD_WIDTH)}")


def panels(side: RenderedSide, options: JobOptions) -> dict[str, np.ndarray]:
    """Y, M, C, K, O of one side, (1016, 648) each: the canvas turned 90 degrees clockwise."""
    _check_side(side, "card")
    luts = _luts(options)
    k = np.asarray(side.k_mask) != 0
    keep = ~k
    out = {
        "y": luts[0][side.rgb[..., 2]] * keep,
        "m": luts[1][side.rgb[..., 1]] * keep,
        "c": luts[2][side.rgb[..., 0]] * keep,
        "k": k.astype(np.uint8),
        "o": (np.asarray(side.o_mask) != 0).astype(np.uint8),
    }
    return {name: np.ascontiguousarray(np.rot90(a, -1)).astype(np.uint8) for name, a in out.items()}


# ---- Evolis ----------------------------------------------------------------------------------


def _pack_colour(dots: np.ndarray, bits: int) -> bytes:
    """Db payload: bits per dot without gaps, first dot in the most significant bits."""
    shifts = np.arange(bits - 1, -1, -1, dtype=np.uint8)
    bitplane = (dots[..., None] >> shifts) & 1
    return np.packbits(bitplane.reshape(dots.shape[0], -1), axis=1).tobytes()


def _compress_mono(dots: np.ndarray) -> bytes:
    """Dbc 1-bit: per line 0x00 blank, 0xFF full, else N and the first N bytes."""
    packed = np.packbits(dots.astype(bool), axis=1)                  # (1016, 81)
    nonzero = packed != 0
    n = np.where(nonzero.any(axis=1), packed.shape[1] - np.argmax(nonzero[:, ::-1], axis=1), 0)
    full = (packed == 0xFF).all(axis=1)
    code = np.where(n == 0, 0, np.where(full, 0xFF, n)).astype(np.uint8)
    data_len = np.where((code == 0) | (code == 0xFF), 0, n)
    sizes = 1 + data_len
    starts = np.cumsum(sizes) - sizes
    out = np.empty(int(sizes.sum()), np.uint8)
    out[starts] = code
    keep = np.arange(packed.shape[1])[None, :] < data_len[:, None]
    rows, cols = np.nonzero(keep)
    out[starts[rows] + 1 + cols] = packed[rows, cols]
    return out.tobytes()


def _compress_colour(dots: np.ndarray, bits: int) -> bytes:
    """Dbc colour, the C core's choices: maximal runs per line; a trailing blank run of 2+ dots
    is "rest of line blank" (0x80 0x00); runs of 3+ become repeats in chunks of at most the
    count the depth can carry; shorter runs are literals."""
    maxc = {5: 1023, 6: 511, 7: 255}[bits]
    flat = dots.ravel()
    n = flat.size
    boundary = np.ones(n, bool)
    boundary[1:] = flat[1:] != flat[:-1]
    boundary[::EVOLIS_W] = True
    starts = np.flatnonzero(boundary)
    lengths = np.diff(np.append(starts, n))
    values = flat[starts].astype(np.int64)
    at_eol = (starts + lengths) % EVOLIS_W == 0
    eol_blank = at_eol & (values == 0) & (lengths >= 2)
    full_chunks = lengths // maxc
    rem = lengths % maxc
    rem_chunk = rem >= 3
    n_chunks = np.where(eol_blank, 1, full_chunks + rem_chunk)
    n_lits = np.where(eol_blank | rem_chunk, 0, rem)
    sizes = 2 * n_chunks + n_lits
    offsets = np.cumsum(sizes) - sizes
    out = np.empty(int(sizes.sum()), np.uint8)

    run = np.repeat(np.arange(starts.size), n_chunks)
    index = np.arange(run.size) - np.repeat(np.cumsum(n_chunks) - n_chunks, n_chunks)
    count = np.where(eol_blank[run], 0, np.where(index < full_chunks[run], maxc, rem[run]))
    pos = offsets[run] + 2 * index
    out[pos] = 0x80 | ((count >> 8) << bits) | values[run]
    out[pos + 1] = count & 0xFF

    run = np.repeat(np.arange(starts.size), n_lits)
    index = np.arange(run.size) - np.repeat(np.cumsum(n_lits) - n_lits, n_lits)
    out[offsets[run] + 2 * n_chunks[run] + index] = values[run]
    return out.tobytes()


def compress_panel(dots: np.ndarray, levels: int) -> bytes:
    """Same contract and bytes as cetak.native.core.compress_panel."""
    if levels == 2:
        return _compress_mono(dots)
    bits = _bits(levels)
    if bits > 7:
        raise EncodeError("compressed panels take levels 2, 32, 64 or 128")
    return _compress_colour(np.asarray(dots, np.uint8), bits)


def _evolis_side(side: RenderedSide, letters: str, options: JobOptions) -> bytes:
    bits = _bits(options.levels)
    planes = panels(side, options)
    parts = []
    for p in PANEL_ORDER:
        if p not in letters:
            continue
        mono = p in "ko"
        levels = 2 if mono else 1 << bits
        if options.compress:
            data = _compress_mono(planes[p]) if mono else _compress_colour(planes[p], bits)
            head = f"Dbc;{p};{levels};{len(data)};"
        else:
            data = _pack_colour(planes[p], 1 if mono else bits)
            head = f"Db;{p};{levels};"
        parts.append(ESC + head.encode() + data + CR)
    return b"".join(parts)


def _evolis(front: RenderedSide, back: RenderedSide | None, options: JobOptions) -> EncodedJob:
    bits = _bits(options.levels)
    if options.compress and bits > 7:
        raise EncodeError("compressed downloads (Dbc) carry at most 128 levels")
    front_panels, back_panels = ribbon_panels(options.ribbon)
    out = [ESC + f"Pr;{options.ribbon}".encode() + CR, ESC + b"Pmi;F;s" + CR]
    for p, value in zip(PANEL_ORDER, contrast_values(options), strict=True):
        if value != NO_CONTRAST:
            out.append(ESC + f"Pc;{p};=;{value}".encode() + CR)
    out.append(ESC + b"Ss" + CR)
    chip_offset = None
    if options.contactless:
        out.append(ESC + b"Sic" + CR)
        chip_offset = sum(len(x) for x in out)
    out.append(ESC + b"Sr" + CR)
    out.append(_evolis_side(front, front_panels, options))
    if back is not None:
        out.append(ESC + b"Sv" + CR)
        out.append(_evolis_side(back, back_panels, options))
    out.append(ESC + b"Se" + CR)
    return EncodedJob(b"".join(out), chip_offset)


# ---- Magicard --------------------------------------------------------------------------------


def _pad(dots: np.ndarray) -> np.ndarray:
    return np.pad(dots, ((0, 0), (0, MAGICARD_W - dots.shape[1])))


def _magicard_side(side: RenderedSide, letters: str, page: int, duplex: bool, back_letters: str,
                   options: JobOptions) -> bytes:
    bits = _bits(options.levels)
    colour = any(p in letters for p in "ymc")
    black = "k" in letters
    if colour and not all(p in letters for p in "ymc"):
        raise EncodeError("magicard prints Y, M and C together or not at all")
    if not colour and not black:
        raise EncodeError("magicard side needs colour or black panels")
    eight = bits == 8
    planes = panels(side, options)
    bac = ""
    if page == 1 and duplex:
        bac = ",BAC" + ("C" if any(p in back_letters for p in "ymc") else "") + \
            ("K" if "k" in back_letters else "") + ("O" if "o" in back_letters else "")
    imf = ("BGRK" if black else "BGR") if colour else "K"
    head = (f",NOC1,REJOFF,ESS1,DPX{'ON' if duplex else 'OFF'},PAG{page}{bac},SLWOFF,IMF{imf},"
            f"XCO0,YCO0,WID{EVOLIS_W},HGT{LINES},OVR{'ON' if 'o' in letters else 'OFF'}"
            f"{',X-GP-8' if eight and colour else ''}")
    body = []
    if colour:
        for letter, p in zip("BGR", "ymc", strict=True):
            dots = _pad(planes[p])
            if eight:
                data = dots.tobytes()
            else:
                bitplanes = (dots[:, None, :] >> np.arange(6, dtype=np.uint8)[None, :, None]) & 1
                data = np.packbits(bitplanes, axis=2).tobytes()      # (1016, 6, 84)
            head += f",SZ{letter}{len(data)}"
            body.append(data + b"\x1c" + letter.encode() + b"\x3a")
    if black:
        data = np.packbits(_pad(planes["k"]).astype(bool), axis=1).tobytes()
        head += f",SZK{len(data)}"
        body.append(data + b"\x1cK\x3a")
    return b"\x05" * 64 + b"\x01" + head.encode() + b"\x1c" + b"".join(body) + b"\x03"


def _magicard(front: RenderedSide, back: RenderedSide | None, options: JobOptions) -> EncodedJob:
    if _bits(options.levels) not in (6, 8):
        raise EncodeError(f"magicard takes 64 or 256 levels, not {options.levels}")
    if options.contactless:
        raise EncodeError("the magicard stream has no contactless-station command")
    front_panels, back_panels = ribbon_panels(options.ribbon)
    duplex = back is not None
    data = _magicard_side(front, front_panels, 1, duplex, back_panels, options)
    if back is not None:
        data += _magicard_side(back, back_panels, 2, True, "", options)
    return EncodedJob(data, None)


def encode_job(dialect: str, front: RenderedSide, back: RenderedSide | None,
               options: JobOptions) -> EncodedJob:
    """Same contract and bytes as cetak.native.encode_job."""
    if dialect not in DIALECTS:
        raise EncodeError(f"unknown dialect {dialect!r}")
    _check_side(front, "front")
    if back is not None:
        _check_side(back, "back")
    if dialect == "evolis":
        return _evolis(front, back, options)
    return _magicard(front, back, options)
