"""Native card core: panels, Evolis and Magicard command streams, stream decoder, BER-TLV, and
the PRR import's fast path (prr.py, imported by its users: it is not part of the card API).

The work is done in C (`_core`, built by cffi in API mode at `pip install`); `core` is the one
typed doorway to its card functions; `reference` is the pure NumPy oracle the tests compare it with.
"""

from . import tlv
from .core import compress_panel, decode_stream, encode_job, frame, panels
from .errors import EncodeError, NativeError, StreamError, TlvError
from .preview import render_preview
from .types import Command, DecodedJob, EncodedJob, JobOptions, Panel, RenderedSide

__all__ = [
    "Command",
    "DecodedJob",
    "EncodeError",
    "EncodedJob",
    "JobOptions",
    "NativeError",
    "Panel",
    "RenderedSide",
    "StreamError",
    "TlvError",
    "compress_panel",
    "decode_stream",
    "encode_job",
    "frame",
    "panels",
    "render_preview",
    "tlv",
]
