"""Decoding and fitting the photo and signature images."""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps

from cetak.card.errors import PhotoError

MAX_IMAGE_BYTES = 4 * 1024 * 1024       # PRR allows 2 MB photos; some slack, never unbounded
MAX_IMAGE_PIXELS = 40_000_000           # refuse decompression bombs before decoding
MIN_SIDE = 64                           # smaller than this prints as a blur
FORMATS = ("JPEG", "PNG")
FACE_CENTERING = (0.5, 0.35)            # crop a little above centre: faces sit high in a pas foto


def decode(data: bytes, field: str) -> Image.Image:
    """RGB image from JPEG/PNG bytes, upright per EXIF, transparency flattened onto white."""
    if not data:
        raise PhotoError(field, "missing")
    if len(data) > MAX_IMAGE_BYTES:
        raise PhotoError(field, "file too large")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise PhotoError(field, "image has too many pixels")
            image.load()
    except PhotoError:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombWarning,
            Image.DecompressionBombError) as exc:
        raise PhotoError(field, "not a readable JPEG or PNG image") from exc
    image = ImageOps.exif_transpose(image)
    if min(image.size) < MIN_SIDE:
        raise PhotoError(field, f"image smaller than {MIN_SIDE} pixels on a side")
    if image.mode in ("RGBA", "LA", "P", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", image.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def cover(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Crop to the box's aspect ratio around the face, then scale to fill it exactly."""
    return ImageOps.fit(image, size, Image.Resampling.LANCZOS, centering=FACE_CENTERING)


def contain(image: Image.Image, size: tuple[int, int]) -> tuple[Image.Image, tuple[int, int]]:
    """Scale to fit inside the box keeping proportions; returns image and offset to centre it."""
    scaled = ImageOps.contain(image, size, Image.Resampling.LANCZOS)
    return scaled, ((size[0] - scaled.width) // 2, (size[1] - scaled.height) // 2)


def ink_crop(image: Image.Image, field: str, threshold: int = 160) -> Image.Image:
    """A signature cropped to its ink, so it fills its box whatever the scan's margins."""
    grey = image.convert("L")
    ink = grey.point(lambda v: 255 if v < threshold else 0)
    bbox = ink.getbbox()
    if bbox is None:
        raise PhotoError(field, "image has no ink")
    return image.crop(bbox)
