"""Photo and signature checks: format by magic bytes, size in bytes, dimensions from the header.

Pillow's `Image.open` only parses headers (JPEG markers up to SOF, PNG IHDR); no pixel data is
decoded, so a million photos check quickly and a pixel bomb is refused before it expands.
"""

from __future__ import annotations

import warnings
from typing import BinaryIO

JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def image_problem(fp: BinaryIO, size: int, *, max_bytes: int, min_width: int = 0,
                  min_height: int = 0, max_pixels: int = 50_000_000) -> str | None:
    """Why the image in `fp` (of `size` bytes) is unacceptable, or None."""
    if size > max_bytes:
        return f"larger than {_human(max_bytes)}"
    if size == 0:
        return "empty file"
    head = fp.read(8)
    if head.startswith(JPEG_MAGIC):
        fmt = "JPEG"
    elif head == PNG_MAGIC:
        fmt = "PNG"
    else:
        return "not a JPEG or PNG file"
    fp.seek(0)
    from PIL import Image

    try:
        with warnings.catch_warnings():
            # Pillow warns above its own pixel limit; our limit is checked just below.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(fp, formats=[fmt]) as im:
                width, height = im.size
    except Image.DecompressionBombError:
        return "too many pixels"
    except (OSError, SyntaxError, ValueError, EOFError):
        return f"not a readable {fmt} file"
    if width * height > max_pixels:
        return "too many pixels"
    if width < min_width or height < min_height:
        return f"smaller than {min_width}x{min_height} pixels"
    return None


def _human(n: int) -> str:
    if n % (1024 * 1024) == 0:
        return f"{n // (1024 * 1024)} MB"
    if n % 1024 == 0:
        return f"{n // 1024} KB"
    return f"{n} bytes"
