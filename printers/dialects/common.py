"""Reply wording shared by both dialects' state queries (the X extensions use it too)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cetak.printers.status import Condition, Position, State

# The word a printer uses for each condition, and back. Evolis words come from the
# programming guide; ERROR FILM and ERROR CHIP are cetak's (the guide has no retransfer film).
CONDITION_WORDS: dict[Condition, str] = {
    Condition.FEEDER_EMPTY: "FEEDER EMPTY",
    Condition.RIBBON_OUT: "ERROR RIBBON",
    Condition.FILM_OUT: "ERROR FILM",
    Condition.CARD_JAM: "CARD JAM",
    Condition.COVER_OPEN: "COVER OPEN",
    Condition.CHIP_WRITE_FAILED: "ERROR CHIP",
    Condition.COMMAND_ERROR: "ERROR CDE",
    Condition.OUTPUT_FULL: "HOPPER FULL",
    Condition.NEEDS_CLEANING: "NEED CLEANING",
}
_WORD_CONDITIONS = {word: cond for cond, word in CONDITION_WORDS.items()}
_WORD_CONDITIONS.update({"ERROR PARAMETRES": Condition.COMMAND_ERROR,
                         "OPT NOT AVAILABLE": Condition.COMMAND_ERROR,
                         "ERROR HOPPER": Condition.OTHER,
                         "ERROR TIME OUT": Condition.OTHER})


def condition_for(message: str) -> Condition:
    """The condition a printer's error text names; OTHER for text we do not know."""
    text = message.strip().upper()
    if not text or text in ("OK", "READY", "BUSY"):
        return Condition.NONE
    return _WORD_CONDITIONS.get(text, Condition.OTHER)


def format_state(state: State, condition: Condition, position: Position) -> str:
    """`READY`, `BUSY;CONTACTLESS`, `CARD JAM;PRINTING`: state word, then the card position."""
    word = CONDITION_WORDS.get(condition, "ERROR") if state is State.ERROR else state.name
    return word if position is Position.NONE else f"{word};{position.name}"


def parse_state(text: str) -> tuple[State, Condition, str, Position]:
    word, _, where = text.strip().partition(";")
    word = word.strip().upper()
    try:
        position = Position[where.strip().upper()] if where else Position.NONE
    except KeyError:
        position = Position.NONE
    if word == "READY":
        return State.READY, Condition.NONE, word, position
    if word == "BUSY":
        return State.BUSY, Condition.NONE, word, position
    return State.ERROR, condition_for(word) if word != "ERROR" else Condition.OTHER, word, position


def int_or_none(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.lstrip("-").isdigit() else None


def shared_fields(text: Mapping[str, str]) -> dict[str, Any]:
    """PrinterStatus fields whose replies read the same in both dialects (by query key)."""
    fields: dict[str, Any] = {}
    if "film" in text:
        parts = text["film"].split(";") + ["", ""]
        fields.update(film_left=int_or_none(parts[0]), film_capacity=int_or_none(parts[1]))
    if "hopper" in text:
        fields["blanks_in_hopper"] = int_or_none(text["hopper"])
    for key, name in (("blank_serial", "last_blank_serial"), ("serial", "serial"),
                      ("model", "model"), ("firmware", "firmware")):
        if key in text:
            fields[name] = text[key]
    return fields
