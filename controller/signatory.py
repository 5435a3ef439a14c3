"""Who signs a berita acara: officers and witnesses by name, NIP and position.

A NIP (Nomor Induk Pegawai) is the 18-digit number of an Indonesian civil servant: birth date
(YYYYMMDD), appointment (6 digits), sex (1 digit), sequence (3 digits). Only its length, its
digits and the birth date are checked: the appointment part differs between PNS and PPPK
numbers, and a check stricter than the issuer's would refuse real people.

Pure rules, no I/O: the CLI and the domain (controller.inventory) both use them, so a wrong
form is refused before anything is sent and again before anything is stored. Errors name the
signatory by role and place ("witness 2"), never by name or number: they may reach a log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date

NIP_DIGITS = 18


class SignatoryError(ValueError):
    """A signatory given in a form that cannot be used; the message names the problem."""


@dataclass(frozen=True)
class Signatory:
    name: str
    nip: str = ""
    position: str = ""

    def line(self) -> str:
        """One line of text: "Name, NIP 1985..., Position" (the CSV and audit form)."""
        parts = [self.name]
        if self.nip:
            parts.append(f"NIP {self.nip}")
        if self.position:
            parts.append(self.position)
        return ", ".join(parts)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Signatory:
        return cls(d.get("name", ""), d.get("nip", ""), d.get("position", ""))


def check_nip(nip: str, who: str = "NIP") -> str:
    """The NIP without spaces, or SignatoryError saying what is wrong with it."""
    digits = "".join(nip.split())
    if not digits.isdigit() or len(digits) != NIP_DIGITS:
        raise SignatoryError(f"{who}: a NIP is {NIP_DIGITS} digits, got {len(digits)} "
                             f"character(s){'' if digits.isdigit() else ' not all digits'}")
    try:
        date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise SignatoryError(f"{who}: a NIP starts with the birth date (YYYYMMDD); its "
                             "first 8 digits are not a date") from None
    return digits


def looks_like_nip(text: str) -> bool:
    digits = "".join(text.split())
    return bool(digits) and digits.isdigit()


def signatory(name: str, nip: str = "", position: str = "", *, who: str,
              nip_required: bool = False) -> Signatory:
    """A checked Signatory: a name, a valid NIP (or none when not required)."""
    name, position = " ".join(name.split()), " ".join(position.split())
    if not name:
        raise SignatoryError(f"{who}: the name is empty")
    if nip.strip():
        nip = check_nip(nip, who)
    elif nip_required:
        raise SignatoryError(f"{who}: the NIP is required")
    return Signatory(name, nip, position)


def from_text(text: str, who: str = "witness") -> Signatory:
    """The one-string form "NAME, POSITION" (also "NAME, NIP, POSITION"). The position is
    after the last comma, so a name carrying degrees ("Budi, S.Kom., Kepala Seksi") stays
    whole; a part that is all digits is the NIP."""
    parts = [p.strip() for p in text.split(",")]
    nips = [p for p in parts[1:] if looks_like_nip(p)]
    if len(nips) > 1:
        raise SignatoryError(f"{who}: more than one number; give one NIP")
    nip = nips[0] if nips else ""
    rest = [p for p in parts if p != nip] if nip else parts
    position = rest.pop() if len(rest) > 1 else ""
    return signatory(", ".join(p for p in rest if p), nip, position, who=who)


def from_values(values: Sequence[str], who: str, nip_required: bool = False) -> Signatory:
    """The command-line forms: NAME NIP [POSITION], or (when the NIP is not required) one
    quoted "NAME, POSITION"."""
    values = list(values)
    form = "NAME NIP [POSITION]"
    if not nip_required:
        form += " or one quoted 'NAME, POSITION'"
    if len(values) == 1 and not nip_required:
        return from_text(values[0], who)
    if len(values) == 1 or len(values) > 3:
        raise SignatoryError(f"{who}: expected {form}, got {len(values)} value(s)")
    if not looks_like_nip(values[1]):
        raise SignatoryError(f"{who}: the second value must be the NIP "
                             f"({NIP_DIGITS} digits); expected {form}")
    return signatory(values[0], values[1], values[2] if len(values) == 3 else "", who=who,
                     nip_required=nip_required)
