"""The virtual printer's service port: the contactless station and the operator's hands, for a
printer emulated in another process (`cetak printer emulate` prints its address on start-up).

A line protocol over TCP, one request and one reply per line, ASCII:
    CHIP <hex>       write the chip of the card at the station -> `OK <uid>` | `ERR <why>`
    READCHIP         -> `OK <hex>` (empty: nothing written)    | `ERR <why>`
    FAULT <kind>     the next card meets this fault             -> `OK`
    CLEAR            the operator clears the error              -> `OK`
    LOAD <n>         the operator loads n blanks                -> `OK <blanks in hopper>`
    POWER ON         power back after a power loss              -> `OK`
    STATUS           -> `OK <json snapshot>`
Unknown or malformed requests get `ERR <why>`. Loopback only: it is a test and training aid.
"""

from __future__ import annotations

import json
import socket
import socketserver
import threading

from cetak.card.errors import ChipWriteError
from cetak.printers.errors import EmulatorError, PrinterError
from cetak.printers.virtual.device import VirtualPrinter

MAX_LINE = 1 << 20  # a chip's hex text fits (CHIP_CAPACITY * 2)


def handle_line(printer: VirtualPrinter, line: str) -> str:
    """One request -> one reply line (without the newline). Testable without sockets."""
    verb, _, arg = line.strip().partition(" ")
    verb = verb.upper()
    try:
        if verb == "CHIP":
            return "OK " + printer.chip_station.write_chip(bytes.fromhex(arg))
        if verb == "READCHIP":
            data = printer.chip_station.read_chip()
            return "OK " + (data.hex() if data else "")
        if verb == "FAULT":
            printer.inject_fault(arg)
            return "OK"
        if verb == "CLEAR":
            printer.clear()
            return "OK"
        if verb == "LOAD":
            return f"OK {printer.load_blanks(int(arg))}"
        if verb == "POWER" and arg.strip().upper() == "ON":
            printer.power_on()
            return "OK"
        if verb == "STATUS":
            return "OK " + json.dumps(printer.snapshot(), sort_keys=True)
        return f"ERR unknown request {verb!r}"
    except (ChipWriteError, PrinterError, ValueError) as exc:
        return f"ERR {exc}"


class _ServiceHandler(socketserver.StreamRequestHandler):
    server: ServiceServer

    def handle(self) -> None:
        while not self.server.stopping.is_set():
            try:
                raw = self.rfile.readline(MAX_LINE)
            except OSError:
                return
            if not raw:
                return
            reply = handle_line(self.server.printer, raw.decode("ascii", "replace"))
            try:
                self.wfile.write(reply.encode("ascii", "replace") + b"\n")
            except OSError:
                return


class ServiceServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def __init__(self, printer: VirtualPrinter, address: tuple[str, int]) -> None:
        self.printer = printer
        self.stopping = threading.Event()
        super().__init__(address, _ServiceHandler)

    def stop(self) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()


def create_service_server(printer: VirtualPrinter, host: str = "127.0.0.1",
                          port: int = 0) -> tuple[ServiceServer, int]:
    server = ServiceServer(printer, (host, port))
    return server, server.server_address[1]


class ServiceClient:
    """Talks to a service port; one connection, reopened after a failure."""

    def __init__(self, address: str, timeout: float = 10.0) -> None:
        from cetak.printers.transports.tcp import parse_address
        self.host, self.port = parse_address(address)
        self.timeout = timeout
        self._sock: socket.socket | None = None
        self._file = None

    def request(self, line: str) -> str:
        """Send one request; return the reply after `OK ` (raises EmulatorError on `ERR`)."""
        try:
            if self._sock is None:
                self._sock = socket.create_connection((self.host, self.port), self.timeout)
                self._file = self._sock.makefile("rb")
            self._sock.sendall(line.encode("ascii") + b"\n")
            reply = self._file.readline(MAX_LINE).decode("ascii", "replace").rstrip("\n")
        except OSError as exc:
            self.close()
            raise EmulatorError(f"service port {self.host}:{self.port}: {exc}") from exc
        if not reply:
            self.close()
            raise EmulatorError(f"service port {self.host}:{self.port} closed")
        status, _, rest = reply.partition(" ")
        if status != "OK":
            raise EmulatorError(rest or reply)
        return rest

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        if self._sock is not None:
            self._sock.close()
        self._sock = self._file = None

    def inject_fault(self, kind: str) -> None:
        self.request(f"FAULT {kind}")

    def clear(self) -> None:
        self.request("CLEAR")

    def load_blanks(self, count: int) -> int:
        return int(self.request(f"LOAD {count}"))

    def power_on(self) -> None:
        self.request("POWER ON")

    def snapshot(self) -> dict:
        return json.loads(self.request("STATUS"))


class TcpChipEncoder:
    """ChipEncoder for a printer emulated in another process: writes through its service port."""

    def __init__(self, address: str, timeout: float = 10.0) -> None:
        self._client = ServiceClient(address, timeout)

    def write_chip(self, data: bytes) -> str:
        try:
            return self._client.request("CHIP " + data.hex())
        except EmulatorError as exc:
            raise ChipWriteError(str(exc)) from exc

    def close(self) -> None:
        self._client.close()
