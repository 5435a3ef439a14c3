"""Character rules for the free-text fields, and the name normalisation used to find duplicates.

ASCII values (nearly all of a real export) take one regular expression; anything else is
NFC-normalised and checked character by character with Unicode categories, so lookalike
digits, zero-width and bidi controls, and invisible "letters" are caught.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import zlib

# Characters that render as nothing although Unicode calls them letters or marks.
_INVISIBLE = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180f\u2800\u3164\uffa0"
    + "".join(chr(c) for c in range(0xFE00, 0xFE10))
    + "".join(chr(c) for c in range(0xE0100, 0xE01F0))
)
# Control (Cc), format (Cf: zero-width, bidi), private use, unassigned, surrogates, and line or
# paragraph separators. Spaces other than U+0020 (NBSP, ideographic...) count as invisible too.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cn", "Cs", "Zl", "Zp"})
_NAME_PUNCTUATION = frozenset(" '.,-")

_ASCII_NAME = re.compile(r"[ '.,\-]*[A-Za-z][A-Za-z '.,\-]*")
_ASCII_PRINTABLE = re.compile(r"[\x20-\x7e]*")

REQUIRED = "required"
INVISIBLE = "contains a control or invisible character"
DIGIT = "contains a digit"
NAME_CHARS = "only letters, spaces and ' . , - are allowed"
NO_LETTER = "contains no letter"


def _is_invisible(ch: str) -> bool:
    if ch in _INVISIBLE:
        return True
    cat = unicodedata.category(ch)
    return cat in _INVISIBLE_CATEGORIES or (cat == "Zs" and ch != " ")


def name_problem(value: str, max_len: int) -> str | None:
    """Why `value` is not a valid nama/tempat_lahir, or None. `value` is already stripped."""
    if not value:
        return REQUIRED
    if value.isascii():
        if len(value) > max_len:
            return f"longer than {max_len} characters"
        if _ASCII_NAME.fullmatch(value):
            return None
        return _first_name_problem(value)
    value = unicodedata.normalize("NFC", value)
    if len(value) > max_len:
        return f"longer than {max_len} characters"
    return _first_name_problem(value)


def _first_name_problem(value: str) -> str | None:
    # Report the most telling problem: invisible characters hide, digits are a common mix-up.
    letters = 0
    other = False
    for ch in value:
        if _is_invisible(ch):
            return INVISIBLE
    for ch in value:
        if ch in _NAME_PUNCTUATION:
            continue
        cat = unicodedata.category(ch)
        if cat[0] == "N":
            return DIGIT
        if cat[0] == "L":
            letters += 1
        else:
            other = True
    if other:
        return NAME_CHARS
    return None if letters else NO_LETTER


def free_text_problem(value: str, max_len: int) -> str | None:
    """Why `value` is not a valid alamat/pekerjaan (any printable text), or None."""
    if not value:
        return REQUIRED
    if value.isascii():
        if len(value) > max_len:
            return f"longer than {max_len} characters"
        return None if _ASCII_PRINTABLE.fullmatch(value) else INVISIBLE
    value = unicodedata.normalize("NFC", value)
    if len(value) > max_len:
        return f"longer than {max_len} characters"
    for ch in value:
        if _is_invisible(ch):
            return INVISIBLE
    return None


def normalise(value: str) -> str:
    """NFC form of a value that passed the rules (what is stored and printed)."""
    return value if value.isascii() else unicodedata.normalize("NFC", value)


_APOSTROPHES = str.maketrans({"'": None, "\u2019": None})
_SEPARATORS = re.compile(r"[\s.,\-]+")


_PLAIN_NAME = re.compile(r"[A-Za-z]+(?: [A-Za-z]+)*").fullmatch


def name_key(nama: str) -> str:
    """Normalised name for duplicate-person detection: casefold, no apostrophes, punctuation
    and runs of spaces become one space ("Siti-Aminah" == "siti  aminah")."""
    if _PLAIN_NAME(nama):  # most names: nothing to strip or collapse
        return nama.lower()
    return _SEPARATORS.sub(" ", nama.casefold().translate(_APOSTROPHES)).strip()


def person_key(nama: str, tanggal_lahir: dt.date) -> int:
    """A person's duplicate-detection key: the birth date and a CRC-32 of `name_key(nama)`,
    as one non-negative 64-bit integer, the same in every process and release (it is stored
    with each record, so later imports are checked against earlier ones).

    Only people born on the same day are compared, a few dozen per day in a million records,
    so two different names meeting on one CRC is about one false hold in 200 million records
    (a hold is an admin's look, never a lost record)."""
    return (tanggal_lahir.toordinal() << 32) | zlib.crc32(name_key(nama).encode())
