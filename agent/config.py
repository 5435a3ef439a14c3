"""Agent configuration: a TOML file turned into typed, validated dataclasses.

Every problem is reported as a ConfigError naming the exact key (`printers[1].transport`), so an
operator can fix the file without reading code. Unknown keys are errors too: a typo such as
`windw_hours` would otherwise silently fall back to a default.
Relative paths are resolved against the directory of the configuration file, so a config and
its certificates can be moved together.
"""

from __future__ import annotations

import ipaddress
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cetak.agent.errors import ConfigError

TRANSPORTS = ("usb", "tcp", "virtual")
BACKENDS = ("direct", "cups")
CUPS_MODES = ("raw", "driver")
# The operator console listens on loopback unless told otherwise: it shows citizens' names to
# whoever can reach it, so reaching it from the network must be a decision (docs/operator-guide).
DEFAULT_CONSOLE_ADDRESS = "127.0.0.1:8765"
DIALECTS = ("evolis", "magicard")


@dataclass(frozen=True)
class ControllerConfig:
    address: str                    # the controller's "host:port"
    insecure: bool = False          # plaintext, no certificates: tests and demos only
    ca: Path | None = None          # CA certificate (PEM); required unless insecure
    cert: Path | None = None        # this agent's certificate (PEM); required unless insecure
    key: Path | None = None         # this agent's private key (PEM); required unless insecure
    # Name checked against the controller's certificate; None: the security package's default
    # (every controller certificate of a cetak PKI carries it, so any address works).
    server_name: str | None = None


@dataclass(frozen=True)
class JournalConfig:
    path: Path                      # the SQLite journal file (created, chmod 0600)
    # File holding the 32-byte journal key, raw or base64; its mode must give group and others
    # no access. Exactly one of key_file, key_env.
    key_file: Path | None = None
    key_env: str | None = None      # name of an environment variable holding the key (base64)


@dataclass(frozen=True)
class PrinterConfig:
    id: str                         # unique among this agent's printers; shown everywhere
    # "usb" | "tcp" | "virtual"; with backend = "cups" not set (the queue is the way there)
    transport: str
    address: str | None = None      # tcp "host:port"; virtual: the emulator's name or socket
    vendor: int | None = None       # usb vendor id
    product: int | None = None      # usb product id
    serial: str | None = None       # usb serial number (picks one of several identical printers)
    dialect: str | None = None      # None: detected from the IEEE 1284 device id
    model: str | None = None        # None: from the device id, else the dialect's default
    # Contactless station: "virtual" (the virtual printer's own), "pcsc" or "pcsc:READER",
    # "host:port" (an emulated printer's station in another process); None: no chip.
    contactless: str | None = None
    # Service port of a printer emulated by `cetak printer emulate` (training, tests): the
    # console's operator actions (clear a jam, load blanks) act on that printer through it.
    # None: the contactless station's "host:port" if it has one (the same port), else none.
    service: str | None = None
    # "direct": cetak drives the printer itself (transport, dialect); "cups": through a CUPS
    # (IPP) queue, the vendor's driver or a raw queue (docs/cups.md)
    backend: str = "direct"
    # backend "cups": the queue's IPP URI, e.g. "ipp://127.0.0.1:631/printers/FARGO"
    queue: str | None = None
    # backend "cups": "raw" (cetak's own Evolis/Magicard stream; needs dialect) or "driver"
    # (the card as a PDF at CR80 size, front and back, for the vendor's driver)
    mode: str | None = None
    # backend "cups": false when the queue reports "completed" without knowing the card came
    # out (e.g. a raw socket queue): completed jobs are then UNKNOWN for an operator to confirm
    trusted: bool = True
    # backend "cups": job options sent with each job, e.g. {"Ribbon" = "YMCKO"} (a table of
    # strings, integers, booleans; the driver's PPD names them, `lpoptions -l` lists them)
    options: tuple[tuple[str, str | int | bool], ...] = ()
    # backend "cups": the requesting-user-name the agent's jobs carry (it finds them by it)
    user: str = "cetak"
    # backend "cups": document-format sent; default application/vnd.cups-raw (raw) or
    # application/pdf (driver)
    document_format: str | None = None
    # backend "cups": seconds a job may wait unprinted in the queue before it is withdrawn
    pending_timeout_s: float = 300.0
    # backend "cups": seconds a job may take once printing began before it is UNKNOWN
    job_timeout_s: float = 600.0
    # backend "cups": seconds between polls of the job and the queue
    poll_s: float = 1.0


@dataclass(frozen=True)
class SignerConfig:
    key: Path                       # the document signer's private key (PEM)
    cert: Path                      # the document signer's certificate (PEM)


@dataclass(frozen=True)
class TuningConfig:
    """Timings; the defaults suit a production site, tests shorten them."""

    heartbeat_s: float = 5.0          # heartbeat period (the controller answers each one)
    silence_s: float = 20.0           # a stream silent this long is dead: reconnect
    connect_timeout_s: float = 10.0   # how long to wait for Welcome
    reconnect_initial_s: float = 0.5  # first backoff ceiling
    reconnect_max_s: float = 30.0     # backoff ceiling bound
    shutdown_flush_s: float = 5.0     # how long SIGTERM waits for acks of the last events
    printer_retry_s: float = 5.0      # pause of a printer after a failure before any card


@dataclass(frozen=True)
class AgentConfig:
    agent_id: str                   # must equal the name in the agent's certificate
    site_code: str                  # kelurahan code; must equal the certificate's site
    controller: ControllerConfig    # [controller]: how to reach the controller
    journal: JournalConfig          # [journal]: the encrypted local journal
    printers: tuple[PrinterConfig, ...]  # [[printers]]: at least one
    window_hours: float = 4.0       # hours of printing to hold through an outage (in Hello)
    metrics_port: int | None = None  # Prometheus /metrics on metrics_address:PORT; None: off
    # IP address /metrics binds to: loopback by default; the PC's LAN address (or 0.0.0.0) to
    # let a central Prometheus scrape it. Metrics carry no personal data.
    metrics_address: str = "127.0.0.1"
    # host:port of the local web console (port 0: any free port); None: no console ("off")
    console_address: str | None = DEFAULT_CONSOLE_ADDRESS
    signer: SignerConfig | None = None  # [signer]: signs chip data; required with contactless
    tuning: TuningConfig = field(default_factory=TuningConfig)  # [tuning]: seconds, optional
    source: Path | None = None        # the file this came from (for messages only)


def load_config(path: str | Path) -> AgentConfig:
    """Read and validate the agent configuration file at `path`."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError("(file)", f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError("(file)", f"{path} is not valid TOML: {exc}") from exc
    return parse_config(data, base_dir=path.resolve().parent, source=path)


def parse_config(data: Mapping[str, Any], *, base_dir: Path,
                 source: Path | None = None) -> AgentConfig:
    """Validate an already-parsed TOML document (a dict) into an AgentConfig."""
    t = _Table(data, "", base_dir)
    t.only("agent_id", "site_code", "window_hours", "metrics_port", "metrics_address",
           "console_address",
           "controller", "journal", "printers", "signer", "tuning")
    agent_id = t.string("agent_id")
    site_code = t.string("site_code")
    window_hours = t.number("window_hours", default=4.0, minimum=0.0)
    if window_hours == 0:
        raise ConfigError("window_hours", "must be greater than 0")
    metrics_port = t.integer("metrics_port", default=None, minimum=0, maximum=65535)
    metrics_address = t.string("metrics_address", default="127.0.0.1")
    try:
        ipaddress.ip_address(metrics_address)
    except ValueError:
        raise ConfigError("metrics_address", f'"{metrics_address}" is not an IP address '
                                             '(e.g. "127.0.0.1", "0.0.0.0")') from None
    console_address = _console_address(t)
    controller = _controller(t.table("controller"))
    journal = _journal(t.table("journal"))
    printers = _printers(t)
    signer = _signer(t.table("signer")) if "signer" in data else None
    if signer is None:
        for i, p in enumerate(printers):
            if p.contactless is not None:
                raise ConfigError("signer", f"missing (printers[{i}].contactless is set: chip "
                                            "data must be signed with the document signer)")
    tuning = _tuning(t.table("tuning")) if "tuning" in data else TuningConfig()
    return AgentConfig(agent_id=agent_id, site_code=site_code, controller=controller,
                       journal=journal, printers=printers, window_hours=window_hours,
                       metrics_port=metrics_port, metrics_address=metrics_address,
                       console_address=console_address,
                       signer=signer, tuning=tuning, source=source)


def _console_address(t: _Table) -> str | None:
    value = t.string("console_address", default=DEFAULT_CONSOLE_ADDRESS)
    if value == "off":
        return None
    if not _host_port_ok(value):
        raise ConfigError("console_address", f'"{value}" is not host:port (e.g. '
                                             f'"{DEFAULT_CONSOLE_ADDRESS}") or "off"')
    return value


def _controller(t: _Table) -> ControllerConfig:
    t.only("address", "insecure", "ca", "cert", "key", "server_name")
    address = t.string("address")
    if ":" not in address:
        raise ConfigError(t.key("address"), f'"{address}" has no port (expected host:port)')
    insecure = t.boolean("insecure", default=False)
    ca, cert, key = t.path("ca", None), t.path("cert", None), t.path("key", None)
    if not insecure:
        for name, value in (("ca", ca), ("cert", cert), ("key", key)):
            if value is None:
                raise ConfigError(t.key(name), "missing (mutual TLS needs ca, cert and key; "
                                               "set insecure = true only for tests and demos)")
    return ControllerConfig(address=address, insecure=insecure, ca=ca, cert=cert, key=key,
                            server_name=t.string("server_name", default=None))


def _journal(t: _Table) -> JournalConfig:
    t.only("path", "key_file", "key_env")
    path = t.path("path")
    key_file = t.path("key_file", None)
    key_env = t.string("key_env", default=None)
    if (key_file is None) == (key_env is None):
        raise ConfigError(t.key("key_file"), "set exactly one of key_file, key_env")
    return JournalConfig(path=path, key_file=key_file, key_env=key_env)


def _printers(t: _Table) -> tuple[PrinterConfig, ...]:
    items = t.array_of_tables("printers")
    if not items:
        raise ConfigError("printers", "at least one printer is needed")
    seen: set[str] = set()
    printers = []
    for p in items:
        p.only("id", "transport", "address", "vendor", "product", "serial", "dialect", "model",
               "contactless", "service",
               # backend = "cups" (listed here, not spliced, so the reference can read them)
               "backend", "queue", "mode", "trusted", "options", "user", "document_format",
               "pending_timeout_s", "job_timeout_s", "poll_s")
        pid = p.string("id")
        if pid in seen:
            raise ConfigError(p.key("id"), f'duplicate printer id "{pid}"')
        seen.add(pid)
        if p.choice("backend", BACKENDS, default="direct") == "cups":
            printers.append(_cups_printer(p, pid))
            continue
        for name in _CUPS_KEYS[1:]:
            if name in p.data:
                raise ConfigError(p.key(name), 'only with backend = "cups"')
        transport = p.choice("transport", TRANSPORTS)
        dialect = p.choice("dialect", DIALECTS, default=None)
        address = p.string("address", default=None)
        vendor = p.integer("vendor", default=None, minimum=0, maximum=0xFFFF)
        product = p.integer("product", default=None, minimum=0, maximum=0xFFFF)
        serial = p.string("serial", default=None)
        if transport == "tcp":
            if address is None:
                raise ConfigError(p.key("address"), 'missing (transport "tcp" needs host:port)')
            if ":" not in address:
                raise ConfigError(p.key("address"), f'"{address}" has no port (expected host:port)')
        if transport == "tcp" and dialect is None:
            raise ConfigError(p.key("dialect"), "missing (a tcp printer cannot report its "
                                                "IEEE 1284 id; set evolis or magicard)")
        if transport == "usb":
            for name, value in (("vendor", vendor), ("product", product)):
                if value is None:
                    raise ConfigError(p.key(name), 'missing (transport "usb" needs vendor and '
                                                   "product ids)")
        contactless = p.string("contactless", default=None)
        if contactless is not None and not _station_ok(contactless):
            raise ConfigError(p.key("contactless"), f'"{contactless}" is not a contactless '
                              'station (expected "virtual", "pcsc", "pcsc:READER NAME" or '
                              '"host:port" of an emulated station)')
        service = p.string("service", default=None)
        if service is not None and not _host_port_ok(service):
            raise ConfigError(p.key("service"), f'"{service}" is not host:port')
        printers.append(PrinterConfig(
            id=pid, transport=transport, address=address, vendor=vendor, product=product,
            serial=serial, dialect=dialect, model=p.string("model", default=None),
            contactless=contactless, service=service))
    return tuple(printers)


_CUPS_KEYS = ("backend", "queue", "mode", "trusted", "options", "user", "document_format",
              "pending_timeout_s", "job_timeout_s", "poll_s")


def _cups_printer(p: _Table, pid: str) -> PrinterConfig:
    """A printer behind a CUPS (IPP) queue: no transport of ours, the queue is the way."""
    for name in ("transport", "address", "vendor", "product", "serial", "contactless",
                 "service"):
        if name in p.data:
            raise ConfigError(p.key(name), 'not used with backend = "cups" (the queue\'s '
                                           "device URI says how CUPS reaches the printer)")
    queue = p.string("queue")
    if not queue.startswith(("ipp://", "ipps://")) or "/" not in queue.split("://", 1)[1]:
        raise ConfigError(p.key("queue"), f'"{queue}" is not an IPP queue URI (expected '
                                          '"ipp://HOST:631/printers/NAME")')
    mode = p.choice("mode", CUPS_MODES)
    dialect = p.choice("dialect", DIALECTS, default=None)
    if mode == "raw" and dialect is None:
        raise ConfigError(p.key("dialect"), 'missing (mode "raw" sends cetak\'s own stream: '
                                            "set evolis or magicard)")
    options_table = p.data.get("options", {})
    if not isinstance(options_table, dict):
        raise ConfigError(p.key("options"), f"expected a table, got {_kind(options_table)}")
    options = []
    for name, value in options_table.items():
        if isinstance(value, float) or not isinstance(value, str | int | bool):
            raise ConfigError(f"{p.key('options')}.{name}",
                              f"expected a string, integer or boolean, got {_kind(value)}")
        options.append((name, value))
    timeouts = {}
    for name, default in (("pending_timeout_s", 300.0), ("job_timeout_s", 600.0),
                          ("poll_s", 1.0)):
        timeouts[name] = p.number(name, default=default, minimum=0.0)
        if timeouts[name] <= 0:
            raise ConfigError(p.key(name), "must be greater than 0")
    return PrinterConfig(
        id=pid, transport="ipp", backend="cups", queue=queue, mode=mode, dialect=dialect,
        model=p.string("model", default=None), trusted=p.boolean("trusted", default=True),
        options=tuple(options), user=p.string("user", default="cetak"),
        document_format=p.string("document_format", default=None), **timeouts)


def _station_ok(value: str) -> bool:
    if value in ("virtual", "pcsc") or value.startswith("pcsc:"):
        return True
    return _host_port_ok(value)


def _host_port_ok(value: str) -> bool:
    host, sep, port = value.rpartition(":")
    return bool(sep and host and port.isdigit() and int(port) <= 65535)


def _signer(t: _Table) -> SignerConfig:
    t.only("key", "cert")
    return SignerConfig(key=t.path("key"), cert=t.path("cert"))


def _tuning(t: _Table) -> TuningConfig:
    names = [f for f in TuningConfig.__dataclass_fields__]
    t.only(*names)
    defaults = TuningConfig()
    values = {n: t.number(n, default=getattr(defaults, n), minimum=0.0) for n in names}
    for n, v in values.items():
        if v <= 0:
            raise ConfigError(t.key(n), "must be greater than 0")
    if values["reconnect_max_s"] < values["reconnect_initial_s"]:
        raise ConfigError(t.key("reconnect_max_s"), "must not be less than reconnect_initial_s")
    return TuningConfig(**values)


_MISSING = object()


class _Table:
    """One TOML table plus its dotted key prefix, with typed getters that name keys in errors."""

    def __init__(self, data: Any, prefix: str, base_dir: Path) -> None:
        self.data = data
        self.prefix = prefix
        self.base_dir = base_dir

    def key(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def only(self, *names: str) -> None:
        for name in self.data:
            if name not in names:
                raise ConfigError(self.key(name), f"unknown key (expected one of: "
                                                  f"{', '.join(names)})")

    def _get(self, name: str, default: Any) -> Any:
        if name in self.data:
            return self.data[name]
        if default is _MISSING:
            raise ConfigError(self.key(name), "missing")
        return default

    def string(self, name: str, default: Any = _MISSING) -> Any:
        value = self._get(name, default)
        if value is default and default is not _MISSING:
            return value
        if not isinstance(value, str):
            raise ConfigError(self.key(name), f"expected a string, got {_kind(value)}")
        if not value.strip():
            raise ConfigError(self.key(name), "must not be empty")
        return value

    def boolean(self, name: str, default: Any = _MISSING) -> Any:
        value = self._get(name, default)
        if not isinstance(value, bool):
            raise ConfigError(self.key(name), f"expected true or false, got {_kind(value)}")
        return value

    def number(self, name: str, default: Any = _MISSING, minimum: float | None = None) -> Any:
        value = self._get(name, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(self.key(name), f"expected a number, got {_kind(value)}")
        if minimum is not None and value < minimum:
            raise ConfigError(self.key(name), f"must be at least {minimum:g}, got {value}")
        return float(value)

    def integer(self, name: str, default: Any = _MISSING, minimum: int | None = None,
                maximum: int | None = None) -> Any:
        value = self._get(name, default)
        if value is default and default is not _MISSING:
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(self.key(name), f"expected an integer, got {_kind(value)}")
        if minimum is not None and value < minimum or maximum is not None and value > maximum:
            raise ConfigError(self.key(name), f"{value} is out of range {minimum}..{maximum}")
        return value

    def choice(self, name: str, options: tuple[str, ...], default: Any = _MISSING) -> Any:
        value = self._get(name, default)
        if value is default and default is not _MISSING:
            return value
        if value not in options:
            shown = f'"{value}"' if isinstance(value, str) else _kind(value)
            raise ConfigError(self.key(name), f"unknown {name} {shown} "
                                              f"(expected {', '.join(options)})")
        return value

    def path(self, name: str, default: Any = _MISSING) -> Any:
        value = self.string(name, default)
        if value is default and default is not _MISSING:
            return value
        p = Path(value).expanduser()
        return p if p.is_absolute() else self.base_dir / p

    def table(self, name: str) -> _Table:
        value = self._get(name, _MISSING)
        if not isinstance(value, dict):
            raise ConfigError(self.key(name), f"expected a table, got {_kind(value)}")
        return _Table(value, self.key(name), self.base_dir)

    def array_of_tables(self, name: str) -> list[_Table]:
        value = self._get(name, _MISSING)
        if not isinstance(value, list):
            raise ConfigError(self.key(name), f"expected an array of tables ([[{name}]]), "
                                              f"got {_kind(value)}")
        out = []
        for i, item in enumerate(value):
            key = f"{self.key(name)}[{i}]"
            if not isinstance(item, dict):
                raise ConfigError(key, f"expected a table, got {_kind(item)}")
            out.append(_Table(item, key, self.base_dir))
        return out


def _kind(value: Any) -> str:
    return {str: "a string", bool: "a boolean", int: "an integer", float: "a number",
            list: "an array", dict: "a table"}.get(type(value), type(value).__name__)
