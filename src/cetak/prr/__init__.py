"""PRR import format: parsing, validation rules, region table, synthetic records.

The public API is re-exported here; heavy modules (Pillow, numpy, protobuf) load lazily.
"""

from __future__ import annotations

from cetak.prr.cardrecord import to_card_record
from cetak.prr.errors import (
    ArchiveError,
    HeaderError,
    InputUnusable,
    MediaUnavailable,
    PrrError,
    RegionDataError,
    UnsafePath,
)
from cetak.prr.media import FolderMedia, MediaSource, MemoryMedia, ZipMedia
from cetak.prr.record import PrrRecord
from cetak.prr.regions import Kelurahan, RegionTable, depok_kelurahan, load_regions
from cetak.prr.rules import FieldError
from cetak.prr.schema import DEFAULT_LIMITS, FIELDS, Limits
from cetak.prr.validate import (
    Batch,
    Hold,
    ValidationResult,
    ValidationRun,
    open_prr,
    validate_file,
)

__all__ = [
    "DEFAULT_LIMITS", "FIELDS", "ArchiveError", "Batch", "FieldError", "FolderMedia",
    "HeaderError", "Hold", "InputUnusable", "Kelurahan", "Limits", "MediaSource",
    "MediaUnavailable", "MemoryMedia", "PrrError", "PrrRecord", "RegionDataError",
    "RegionTable", "UnsafePath", "ValidationResult", "ValidationRun", "ZipMedia",
    "depok_kelurahan", "load_regions", "open_prr", "to_card_record", "validate_file",
]
