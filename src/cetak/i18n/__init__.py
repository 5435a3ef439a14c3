"""Operator-facing messages in Bahasa Indonesia with English as the fallback (gettext).

The catalogue is a standard gettext file, `locale/<lang>/LC_MESSAGES/cetak.po`, kept in the
repository and read at run time: a small loader compiles it in memory into the .mo form and
hands that to `gettext.GNUTranslations`. So there is no build step and no compiled file that
can go stale, while translators still use ordinary tools (msgfmt, Poedit, Babel) on the .po.
Message ids are the English text: English needs no catalogue, and a message not (yet)
translated shows in English rather than as an id.

Language: an explicit choice (`--lang`, the console's switch) wins; else the POSIX locale
variables in their order of precedence (LC_ALL, LC_MESSAGES, LANG); else Bahasa Indonesia,
the language of the kelurahan operators these messages are for.
"""

from __future__ import annotations

import ast
import functools
import gettext
import io
import os
import struct
from collections.abc import Callable, Mapping
from pathlib import Path

DOMAIN = "cetak"
LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"
LOCALE_DIR = Path(__file__).with_name("locale")


def N_(message: str) -> str:  # noqa: N802 - the gettext convention, known to extractors
    """Mark a message for the catalogue where it is defined; translate it where it is shown."""
    return message


def normalize(lang: str | None) -> str | None:
    """"id", "id_ID.UTF-8", "in", "EN-us" -> a supported language; None if not supported."""
    if not lang:
        return None
    code = lang.split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
    code = {"in": "id", "ind": "id", "eng": "en"}.get(code, code)  # old and 3-letter codes
    return code if code in LANGUAGES else None


def choose_language(flag: str | None = None,
                    environ: Mapping[str, str] | None = None) -> str:
    """The flag if given, else the first locale variable set (LC_ALL, LC_MESSAGES, LANG) if it
    names a supported language, else Bahasa Indonesia. "C"/"POSIX" locales, the default of
    services and minimal systems, say nothing about the operator, so they give the default."""
    chosen = normalize(flag)
    if chosen:
        return chosen
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name)
        if value:
            return normalize(value) or DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


@functools.cache
def translation(lang: str) -> gettext.NullTranslations:
    """The catalogue of `lang` (any spelling normalize() accepts); English: no translation."""
    code = normalize(lang) or DEFAULT_LANGUAGE
    po = LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"
    if code == "en" or not po.is_file():
        return gettext.NullTranslations()
    return gettext.GNUTranslations(io.BytesIO(compile_po(read_po(po))))


def gettext_for(lang: str) -> Callable[[str], str]:
    return translation(lang).gettext


def tr(message: str, **values: object) -> str:
    """`message` in the user's language (Bahasa Indonesia unless the locale says English),
    its placeholders filled. The catalogue's extractor reads `tr("literal", ...)` calls too."""
    return gettext_for(choose_language())(message).format(**values)


# --- the .po format, the subset cetak uses --------------------------------------------------
# Entries of msgid/msgstr with continuation lines and "#," flags; fuzzy entries are skipped,
# as msgfmt does. No plurals or contexts: cetak's messages do not need them.


def read_po(path: Path) -> dict[str, str]:
    """msgid -> msgstr of the translated, non-fuzzy entries (the header under "")."""
    return {msgid: entry["msgstr"] for msgid, entry in parse_po(path.read_text("utf-8")).items()
            if entry["msgstr"] and "fuzzy" not in entry["flags"]}


def parse_po(text: str) -> dict[str, dict]:
    """msgid -> {"msgstr", "flags", "line"} for every entry; raises ValueError naming the line."""
    entries: dict[str, dict] = {}
    current: dict | None = None
    field = None
    flags: set[str] = set()

    def finish() -> None:
        nonlocal current
        if current is not None:
            if current["msgid"] in entries:
                raise ValueError(f"line {current['line']}: duplicate msgid "
                                 f"{current['msgid']!r}")
            entries[current["msgid"]] = current
        current = None

    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#,"):
            finish()
            flags = {f.strip() for f in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith(("msgid ", "msgstr ")):
            keyword, _, rest = line.partition(" ")
            if keyword == "msgid":
                finish()
                current = {"msgid": "", "msgstr": "", "flags": flags, "line": number}
                flags = set()
            elif current is None:
                raise ValueError(f"line {number}: msgstr without msgid")
            field = keyword
            current[field] = _unquote(rest, number)
        elif line.startswith('"') and current is not None and field:
            current[field] += _unquote(line, number)
        else:
            raise ValueError(f"line {number}: cannot read {line[:40]!r}")
    finish()
    return entries


def _unquote(text: str, number: int) -> str:
    if not (len(text) >= 2 and text[0] == '"' and text[-1] == '"'):
        raise ValueError(f"line {number}: expected a quoted string")
    try:
        value = ast.literal_eval(text)  # C-like escapes (\n, \", \\) read as Python's
    except (SyntaxError, ValueError) as exc:
        raise ValueError(f"line {number}: bad string: {exc}") from exc
    return str(value)


def compile_po(messages: Mapping[str, str]) -> bytes:
    """The GNU .mo form of msgid -> msgstr (sorted ids, no hash table: gettext reads it)."""
    ids = sorted(messages)
    originals = [i.encode("utf-8") for i in ids]
    translated = [messages[i].encode("utf-8") for i in ids]
    count = len(ids)
    header_size = 7 * 4
    tables = header_size + 2 * count * 8
    offsets_o, offsets_t, blob = [], [], b""
    for text in originals:
        offsets_o.append((len(text), tables + len(blob)))
        blob += text + b"\0"
    for text in translated:
        offsets_t.append((len(text), tables + len(blob)))
        blob += text + b"\0"
    out = struct.pack("<7I", 0x950412DE, 0, count, header_size, header_size + count * 8, 0,
                      tables)
    out += b"".join(struct.pack("<2I", n, at) for n, at in offsets_o)
    out += b"".join(struct.pack("<2I", n, at) for n, at in offsets_t)
    return out + blob
