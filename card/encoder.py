"""Writing chip data: the ChipEncoder interface and its PC/SC implementation.

The virtual printer's contactless station (cetak.printers.virtual) is the other
implementation. Whoever calls write_chip treats ChipWriteError as a spoiled card
(docs/design.md section 4); EncoderUnavailable is raised before a blank is touched.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

from cetak.card.errors import ChipWriteError, EncoderUnavailable


@runtime_checkable
class ChipEncoder(Protocol):
    """Writes one card's chip data to the chip now in the contactless station."""

    def write_chip(self, data: bytes) -> str:
        """Write and verify `data`; return the chip UID as hex. Raises ChipWriteError."""
        ...


class Connection(Protocol):
    """The part of a pyscard CardConnection used here (tests substitute a fake chip)."""

    def connect(self) -> None: ...
    def transmit(self, apdu: list[int]) -> tuple[list[int], int, int]: ...
    def disconnect(self) -> None: ...


# APDUs (ISO/IEC 7816-4 and the PC/SC part 3 pseudo-APDU for the UID).
GET_UID = [0xFF, 0xCA, 0x00, 0x00, 0x00]          # PC/SC GET DATA: contactless UID
SELECT_EF = [0x00, 0xA4, 0x02, 0x0C]              # SELECT by file id, no response data
UPDATE_BINARY = 0xD6
READ_BINARY = 0xB0
SW_OK = (0x90, 0x00)
DEFAULT_FILE_ID = b"\x01\x1d"                     # the EF holding the chip file (as EF.SOD)
MAX_OFFSET = 0x7FFF                               # P1-P2 offset: 15 bits (bit 8 of P1 clear)


class PcscEncoder:
    """Chip writing through a PC/SC reader (a printer's contactless station), via pyscard.

    pyscard is the optional extra "pcsc"; it is imported here, at construction, so a
    missing library or reader shows before a blank is fed (EncoderUnavailable).
    The chip file goes to one transparent EF by UPDATE BINARY, then is read back and compared.
    """

    def __init__(self, reader: str | None = None, *, file_id: bytes = DEFAULT_FILE_ID,
                 chunk_size: int = 224,
                 connection_factory: Callable[[], Connection] | None = None) -> None:
        if len(file_id) != 2 or not 1 <= chunk_size <= 255:
            raise ValueError("file_id is 2 bytes; chunk_size is 1..255")
        self.file_id = file_id
        self.chunk_size = chunk_size
        self._factory = connection_factory or _pyscard_factory(reader)

    def write_chip(self, data: bytes) -> str:
        if not data or len(data) > MAX_OFFSET + 1:
            raise ChipWriteError(f"chip data of {len(data)} bytes does not fit the file")
        smartcard_errors = _smartcard_errors()
        try:
            connection = self._factory()
            connection.connect()
        except smartcard_errors as exc:
            raise ChipWriteError(f"no chip answers in the station: {exc}") from exc
        try:
            uid = bytes(self._transmit(connection, GET_UID, "get UID"))
            self._transmit(connection, SELECT_EF + [2, *self.file_id], "select file")
            for offset in range(0, len(data), self.chunk_size):
                chunk = data[offset:offset + self.chunk_size]
                self._transmit(connection, [0x00, UPDATE_BINARY, offset >> 8, offset & 0xFF,
                                            len(chunk), *chunk], "update binary")
            if self._read_back(connection, len(data)) != data:
                raise ChipWriteError("chip content read back differs from what was written")
            return uid.hex().upper()
        except smartcard_errors as exc:
            raise ChipWriteError(f"chip communication failed: {exc}") from exc
        finally:
            try:
                connection.disconnect()
            except smartcard_errors:
                pass  # the card is leaving the station anyway; the write result stands

    def _read_back(self, connection: Connection, length: int) -> bytes:
        out = bytearray()
        while len(out) < length:
            want = min(self.chunk_size, length - len(out))
            offset = len(out)
            part = self._transmit(connection, [0x00, READ_BINARY, offset >> 8, offset & 0xFF,
                                               want], "read binary")
            if not part:
                raise ChipWriteError("chip returned no data on read-back")
            out.extend(part)
        return bytes(out[:length])

    @staticmethod
    def _transmit(connection: Connection, apdu: Sequence[int], what: str) -> list[int]:
        data, sw1, sw2 = connection.transmit(list(apdu))
        if (sw1, sw2) != SW_OK:
            raise ChipWriteError(f"{what}: chip answered status {sw1:02X}{sw2:02X}")
        return list(data)


def _smartcard_errors() -> tuple[type[BaseException], ...]:
    try:
        exceptions = importlib.import_module("smartcard.Exceptions")
    except ImportError:
        return (OSError,)
    return (exceptions.SmartcardException, OSError)


def _pyscard_factory(reader_name: str | None) -> Callable[[], Connection]:
    try:
        system = importlib.import_module("smartcard.System")
    except ImportError as exc:
        raise EncoderUnavailable("PC/SC chip encoding needs pyscard: install cetak[pcsc]") from exc
    try:
        found = list(system.readers())
    except Exception as exc:  # pyscard raises its own and PC/SC daemon errors here
        raise EncoderUnavailable(f"PC/SC is not available: {exc}") from exc
    matching = [r for r in found if reader_name is None or reader_name in str(r)]
    if not matching:
        raise EncoderUnavailable("no PC/SC reader" + (f" matching {reader_name!r}"
                                                      if reader_name else ""))
    reader = matching[0]
    return lambda: reader.createConnection()
