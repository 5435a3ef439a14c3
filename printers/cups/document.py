"""The card as a document for a vendor's CUPS driver: a PDF (one page a side) or a PNG (one
side) at the exact CR80 size, 85.6 x 54 mm.

The driver makes the printer stream from it, so cetak's own layers become what a driver
accepts: the resin-black mask is drawn as pure black (K), which card drivers print with the
resin panel when their "black text on K" option is set; the overlay is the driver's own
option (its PPD's overlay setting), not part of the image.
"""

from __future__ import annotations

import io
from typing import Any

CR80_WIDTH_MM = 85.6
CR80_HEIGHT_MM = 54.0
FORMATS = {"application/pdf": "PDF", "image/png": "PNG"}


def _image(side: Any) -> Any:
    from PIL import Image

    rgb = side.rgb.copy()
    rgb[side.k_mask] = 0  # resin black
    return Image.fromarray(rgb, "RGB")


def card_document(rendered: Any, document_format: str = "application/pdf") -> bytes:
    """The rendered card (cetak.card.RenderedCard) as `document_format` bytes."""
    kind = FORMATS.get(document_format)
    if kind is None:
        raise ValueError(f"cannot make a {document_format} document (expected one of "
                         f"{', '.join(FORMATS)})")
    front = _image(rendered.front)
    # Dots per inch that make the bitmap exactly CR80 wide (the renderer works at ~300).
    dpi = front.width * 25.4 / CR80_WIDTH_MM
    out = io.BytesIO()
    if kind == "PNG":
        if rendered.back is not None:
            raise ValueError("a two-sided card needs application/pdf (a PNG has one side)")
        front.save(out, "PNG", dpi=(dpi, dpi))
    else:
        pages = [_image(rendered.back)] if rendered.back is not None else []
        front.save(out, "PDF", resolution=dpi, save_all=True, append_images=pages)
    return out.getvalue()
