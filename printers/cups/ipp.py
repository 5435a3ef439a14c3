"""A small IPP/1.1 client (RFC 8010 encoding, RFC 8011 operations) over HTTP: only what the
agent's CUPS backend needs.

Why hand-written: the Python IPP libraries did not fit. `pyipp` is asyncio/aiohttp and built to
read printer attributes (no job submission or job following), while the printer thread of the
agent is synchronous; `pycups` binds libcups, needs libcups-dev and a C compiler to install and
keeps its server in process-global state. The subset here is small and fully tested
(tests/cups/test_ipp.py encodes and decodes every value kind; the same client talks to a real
cupsd and ippeveprinter in the CUPS tests).

Operations: Print-Job, Get-Job-Attributes, Get-Jobs, Get-Printer-Attributes, Cancel-Job.
Collections are decoded into dicts; out-of-band values (no-value, unknown) into None.
"""

from __future__ import annotations

import http.client
import ssl
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from cetak.printers.errors import PrinterError

# Operation ids (RFC 8011 section 5.4.15).
PRINT_JOB = 0x0002
CANCEL_JOB = 0x0008
GET_JOB_ATTRIBUTES = 0x0009
GET_JOBS = 0x000A
GET_PRINTER_ATTRIBUTES = 0x000B

# Delimiter tags.
OPERATION = 0x01
JOB = 0x02
END = 0x03
PRINTER = 0x04
UNSUPPORTED_GROUP = 0x05

# Value tags.
UNSUPPORTED, UNKNOWN, NO_VALUE = 0x10, 0x12, 0x13
INTEGER, BOOLEAN, ENUM = 0x21, 0x22, 0x23
OCTET_STRING, DATE_TIME, RESOLUTION, RANGE = 0x30, 0x31, 0x32, 0x33
BEG_COLLECTION, TEXT_LANG, NAME_LANG, END_COLLECTION = 0x34, 0x35, 0x36, 0x37
TEXT, NAME, KEYWORD, URI, URI_SCHEME = 0x41, 0x42, 0x44, 0x45, 0x46
CHARSET, LANGUAGE, MIME_TYPE, MEMBER_NAME = 0x47, 0x48, 0x49, 0x4A

_STRINGS = {TEXT, NAME, KEYWORD, URI, URI_SCHEME, CHARSET, LANGUAGE, MIME_TYPE, MEMBER_NAME,
            0x40, 0x43}  # 0x40, 0x43: reserved string tags, read as text

# Status codes (RFC 8011 section B).
OK = 0x0000
NOT_FOUND = 0x0406
NOT_POSSIBLE = 0x0404

# Job states (RFC 8011 section 5.3.7) and printer states (5.4.11).
JOB_PENDING, JOB_HELD, JOB_PROCESSING, JOB_STOPPED = 3, 4, 5, 6
JOB_CANCELED, JOB_ABORTED, JOB_COMPLETED = 7, 8, 9
PRINTER_IDLE, PRINTER_PROCESSING, PRINTER_STOPPED = 3, 4, 5

MAX_RESPONSE = 16 * 1024 * 1024  # a Get-Jobs answer is far smaller; a larger one is garbage


class IppError(PrinterError):
    """The IPP server could not be reached, or sent something that is not IPP."""


class IppUnreachable(IppError):
    """The connection was refused: nothing of the request was sent."""


class IppStatusError(IppError):
    """The server answered with an error status."""

    def __init__(self, operation: str, status: int, message: str = "") -> None:
        words = f": {message}" if message else ""
        super().__init__(f"{operation} refused with IPP status 0x{status:04x}{words}")
        self.status = status


@dataclass(frozen=True)
class Value:
    """A value with an explicit tag, for when the Python type does not say it (enum, name,
    mimeMediaType ...)."""

    tag: int
    value: Any


@dataclass
class Response:
    status: int
    request_id: int
    groups: list[tuple[int, dict[str, Any]]] = field(default_factory=list)

    def group(self, tag: int) -> dict[str, Any]:
        """The first group with this tag (empty if none)."""
        return next((attrs for t, attrs in self.groups if t == tag), {})

    def all(self, tag: int) -> list[dict[str, Any]]:
        return [attrs for t, attrs in self.groups if t == tag]

    @property
    def message(self) -> str:
        msg = self.group(OPERATION).get("status-message")
        return msg if isinstance(msg, str) else ""


# --- encoding -------------------------------------------------------------------------------

def _encode_value(tag: int, value: Any) -> bytes:
    if tag in (INTEGER, ENUM):
        return struct.pack(">i", int(value))
    if tag == BOOLEAN:
        return b"\x01" if value else b"\x00"
    if tag in (NO_VALUE, UNKNOWN, UNSUPPORTED):
        return b""
    if tag == RANGE:
        low, high = value
        return struct.pack(">ii", low, high)
    if tag == RESOLUTION:
        x, y, units = value
        return struct.pack(">iib", x, y, units)
    if tag in (TEXT_LANG, NAME_LANG):
        lang, text = value
        lang_b, text_b = lang.encode(), text.encode()
        return struct.pack(">H", len(lang_b)) + lang_b + struct.pack(">H", len(text_b)) + text_b
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8")


def _tag_for(value: Any) -> int:
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, int):
        return INTEGER
    if isinstance(value, str):
        return KEYWORD
    if isinstance(value, tuple) and len(value) == 2:
        return RANGE
    raise TypeError(f"cannot tell the IPP type of {type(value).__name__}; wrap it in Value")


def _encode_attr(name: str, value: Any) -> bytes:
    values = value if isinstance(value, list) else [value]
    if not values:
        raise ValueError(f"attribute {name} has no value")
    out = bytearray()
    for i, v in enumerate(values):
        tag, raw = (v.tag, v.value) if isinstance(v, Value) else (_tag_for(v), v)
        name_b = name.encode() if i == 0 else b""
        data = _encode_value(tag, raw)
        if len(name_b) > 0xFFFF or len(data) > 0xFFFF:
            raise ValueError(f"attribute {name} is too long for IPP")
        out += struct.pack(">BH", tag, len(name_b)) + name_b + struct.pack(">H", len(data)) + data
    return bytes(out)


def encode_request(operation: int, request_id: int,
                   groups: Iterable[tuple[int, Mapping[str, Any]]],
                   version: tuple[int, int] = (1, 1)) -> bytes:
    """An IPP request message (without document data)."""
    out = bytearray(struct.pack(">BBHI", version[0], version[1], operation, request_id))
    for tag, attrs in groups:
        if not attrs and tag != OPERATION:
            continue
        out.append(tag)
        for name, value in attrs.items():
            out += _encode_attr(name, value)
    out.append(END)
    return bytes(out)


# --- decoding -------------------------------------------------------------------------------

class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise IppError("truncated IPP message")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def u8(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        return int(struct.unpack(">H", self.take(2))[0])

    def attr(self) -> tuple[int, str, bytes]:
        tag = self.u8()
        name = self.take(self.u16()).decode("utf-8", "replace")
        return tag, name, self.take(self.u16())


def _decode_value(tag: int, raw: bytes) -> Any:
    try:
        if tag in (INTEGER, ENUM):
            return struct.unpack(">i", raw)[0]
        if tag == BOOLEAN:
            return raw != b"\x00"
        if tag == RANGE:
            return tuple(struct.unpack(">ii", raw))
        if tag == RESOLUTION:
            return tuple(struct.unpack(">iib", raw))
        if tag in (TEXT_LANG, NAME_LANG):
            n = struct.unpack(">H", raw[:2])[0]
            m = struct.unpack(">H", raw[2 + n:4 + n])[0]
            return raw[4 + n:4 + n + m].decode("utf-8", "replace")
    except struct.error as exc:
        raise IppError(f"bad IPP value of tag 0x{tag:02x}: {exc}") from None
    if tag in (NO_VALUE, UNKNOWN, UNSUPPORTED):
        return None
    if tag in _STRINGS:
        return raw.decode("utf-8", "replace")
    return raw  # octetString, dateTime and extensions stay bytes


def _read_collection(r: _Reader) -> dict[str, Any]:
    out: dict[str, Any] = {}
    member = ""
    while True:
        tag, _name, raw = r.attr()
        if tag == END_COLLECTION:
            return out
        if tag == MEMBER_NAME:
            member = raw.decode("utf-8", "replace")
            continue
        value = _read_collection(r) if tag == BEG_COLLECTION else _decode_value(tag, raw)
        _add(out, member, value, first=member not in out)


def _add(attrs: dict[str, Any], name: str, value: Any, *, first: bool) -> None:
    if first:
        attrs[name] = value
    elif isinstance(attrs[name], list):
        attrs[name].append(value)
    else:
        attrs[name] = [attrs[name], value]


def decode_response(data: bytes) -> Response:
    """An IPP response message. Attributes with one value map to it, several to a list."""
    r = _Reader(data)
    r.take(2)  # version: servers answer in the version asked; nothing depends on it here
    status = r.u16()
    request_id = int(struct.unpack(">I", r.take(4))[0])
    resp = Response(status, request_id)
    current: dict[str, Any] | None = None
    last = ""
    while True:
        tag = r.u8()
        if tag == END:
            return resp
        if tag < 0x10:  # a delimiter: a new group
            current = {}
            resp.groups.append((tag, current))
            continue
        if current is None:
            raise IppError("IPP attribute outside any group")
        r.pos -= 1
        tag, name, raw = r.attr()
        value = _read_collection(r) if tag == BEG_COLLECTION else _decode_value(tag, raw)
        if name:
            last = name
            _add(current, name, value, first=True)
        elif last:
            _add(current, last, value, first=False)
        else:
            raise IppError("IPP additional value without an attribute")


# Job template attributes whose integers are IPP enums (RFC 8011 5.2, PWG 5100.1).
ENUM_OPTIONS = frozenset({"orientation-requested", "print-quality", "finishings"})


def job_options(options: Mapping[str, str | int | bool]) -> dict[str, Any]:
    """Configured job options (TOML values) as typed job attributes: strings as keywords
    (CUPS takes PPD options such as StpBlackType this way), integers as integers or, for the
    enum attributes, enums, booleans as booleans."""
    out: dict[str, Any] = {}
    for name, value in options.items():
        if isinstance(value, int) and not isinstance(value, bool) and name in ENUM_OPTIONS:
            out[name] = Value(ENUM, value)
        else:
            out[name] = value
    return out


# --- the client -----------------------------------------------------------------------------

def as_list(value: Any) -> list[Any]:
    """An attribute as a list of values (absent: empty)."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


class IppClient:
    """Requests to one printer URI (ipp://HOST[:PORT]/PATH, ipps:// for TLS).

    By default a new HTTP connection per request. With `keep_alive`, one HTTP/1.1 connection
    is kept and reused, and `connections` counts how many were opened: a server that dropped
    the connection (cupsd killed and started again) shows as a new one, which is how a job
    follower learns of a restart that happened between two of its polls.
    """

    def __init__(self, printer_uri: str, *, user: str = "cetak", timeout: float = 10.0,
                 keep_alive: bool = False) -> None:
        parts = urlsplit(printer_uri)
        if parts.scheme not in ("ipp", "ipps") or not parts.hostname:
            raise ValueError(f'"{printer_uri}" is not an IPP printer URI (expected '
                             "ipp://HOST:PORT/printers/NAME)")
        self.uri = printer_uri
        self.host = parts.hostname
        self.port = parts.port or 631
        self.path = parts.path or "/"
        self.tls = parts.scheme == "ipps"
        self.user = user
        self.timeout = timeout
        self.keep_alive = keep_alive
        self.connections = 0
        self._conn: http.client.HTTPConnection | None = None
        self._request_id = 0

    def describe(self) -> str:
        return self.uri

    def _base(self, **extra: Any) -> dict[str, Any]:
        attrs: dict[str, Any] = {
            "attributes-charset": Value(CHARSET, "utf-8"),
            "attributes-natural-language": Value(LANGUAGE, "en"),
            "printer-uri": Value(URI, self.uri),
            "requesting-user-name": Value(NAME, self.user),
        }
        attrs.update(extra)
        return attrs

    def request(self, operation: int, groups: list[tuple[int, Mapping[str, Any]]],
                document: bytes = b"") -> Response:
        """Send one request; returns the response whatever its status."""
        self._request_id += 1
        body = encode_request(operation, self._request_id, groups) + document
        reused = self._conn is not None
        try:
            return self._send(body)
        except IppError:
            if not reused or operation == PRINT_JOB:
                raise
            # A kept connection the server had closed (idle, or the server restarted): ask
            # again once on a new one. `connections` still shows the change.
            return self._send(body)

    def _send(self, body: bytes) -> Response:
        conn = self._conn
        try:
            if conn is None:
                conn = self._connect()
            try:
                conn.request("POST", self.path, body=body,
                             headers={"Content-Type": "application/ipp"})
                http_resp = conn.getresponse()
                data = http_resp.read(MAX_RESPONSE + 1)
            except BaseException:
                self._drop(conn)
                raise
            if self.keep_alive and not http_resp.will_close:
                self._conn = conn
            else:
                self._drop(conn)
        except ConnectionRefusedError as exc:
            raise IppUnreachable(f"cannot reach {self.uri}: {exc}") from exc
        except (OSError, http.client.HTTPException) as exc:  # TimeoutError is an OSError
            raise IppError(f"cannot reach {self.uri}: {exc or type(exc).__name__}") from exc
        if http_resp.status != 200:
            raise IppError(f"{self.uri} answered HTTP {http_resp.status} {http_resp.reason}")
        if len(data) > MAX_RESPONSE:
            raise IppError(f"{self.uri} sent an oversized IPP response")
        return decode_response(data)

    def _connect(self) -> http.client.HTTPConnection:
        self.connections += 1
        if self.tls:
            return http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout,
                                               context=ssl.create_default_context())
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def _drop(self, conn: http.client.HTTPConnection) -> None:
        conn.close()
        if self._conn is conn:
            self._conn = None

    def close(self) -> None:
        if self._conn is not None:
            self._drop(self._conn)

    def _ok(self, name: str, resp: Response) -> Response:
        if resp.status > 0x00FF:  # 0x0000-0x00ff: successful (some attributes ignored)
            raise IppStatusError(name, resp.status, resp.message)
        return resp

    def printer_attributes(self, names: Iterable[str]) -> dict[str, Any]:
        resp = self.request(GET_PRINTER_ATTRIBUTES, [(OPERATION, self._base(**{
            "requested-attributes": [Value(KEYWORD, n) for n in names]}))])
        return self._ok("Get-Printer-Attributes", resp).group(PRINTER)

    def print_job(self, job_name: str, document: bytes, document_format: str,
                  job_attributes: Mapping[str, Any] | None = None) -> int:
        """Submit one document; returns the job id."""
        op = self._base(**{"job-name": Value(NAME, job_name),
                           "document-format": Value(MIME_TYPE, document_format)})
        resp = self._ok("Print-Job", self.request(
            PRINT_JOB, [(OPERATION, op), (JOB, dict(job_attributes or {}))], document))
        job_id = resp.group(JOB).get("job-id")
        if not isinstance(job_id, int):
            raise IppError(f"{self.uri} accepted the job but named no job-id")
        return job_id

    def job_attributes(self, job_id: int, names: Iterable[str]) -> dict[str, Any] | None:
        """The job's attributes; None when the server does not know the job (any more)."""
        resp = self.request(GET_JOB_ATTRIBUTES, [(OPERATION, self._base(**{
            "job-id": job_id,
            "requested-attributes": [Value(KEYWORD, n) for n in names]}))])
        if resp.status == NOT_FOUND:
            return None
        return self._ok("Get-Job-Attributes", resp).group(JOB)

    def jobs(self, names: Iterable[str], *, which: str = "all",
             my_jobs: bool = True) -> list[dict[str, Any]]:
        """Get-Jobs: `which` is "all", "completed" or "not-completed"."""
        resp = self.request(GET_JOBS, [(OPERATION, self._base(**{
            "which-jobs": Value(KEYWORD, which), "my-jobs": my_jobs,
            "requested-attributes": [Value(KEYWORD, n) for n in names]}))])
        return self._ok("Get-Jobs", resp).all(JOB)

    def cancel_job(self, job_id: int) -> bool:
        """True if the server cancelled it; False if it was already finished (not possible)
        or unknown."""
        resp = self.request(CANCEL_JOB, [(OPERATION, self._base(**{"job-id": job_id}))])
        if resp.status in (NOT_POSSIBLE, NOT_FOUND):
            return False
        self._ok("Cancel-Job", resp)
        return True
