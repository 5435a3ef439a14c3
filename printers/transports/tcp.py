"""Raw TCP to a network card printer (a "port 9100" socket) or to `cetak printer emulate`."""

from __future__ import annotations

import socket

from cetak.printers.transports.base import DEFAULT_TIMEOUT_S, Transport
from cetak.printers.transports.errors import TransportClosed, TransportTimeout


def parse_address(address: str, default_port: int = 9100) -> tuple[str, int]:
    """Accept "host:port", "tcp://host:port" or "host" (port 9100)."""
    text = address.removeprefix("tcp://").rstrip("/")
    host, sep, port = text.rpartition(":")
    if not sep:
        return text, default_port
    if not port.isdigit():
        raise ValueError(f"bad TCP address {address!r}: port must be a number")
    return host.strip("[]"), int(port)


class TcpTransport(Transport):
    kind = "tcp"

    def __init__(self, address: str, timeout: float = DEFAULT_TIMEOUT_S) -> None:
        super().__init__(timeout)
        self.host, self.port = parse_address(address)
        self._sock: socket.socket | None = None

    def describe(self) -> str:
        return f"tcp://{self.host}:{self.port}"

    def open(self) -> None:
        if self._sock is not None:
            return
        try:
            self._sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except TimeoutError as exc:
            raise TransportTimeout(f"connect to {self.describe()} timed out") from exc
        except OSError as exc:
            raise TransportClosed(f"cannot connect to {self.describe()}: {exc}") from exc
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _connected(self) -> socket.socket:
        if self._sock is None:
            raise TransportClosed(f"{self.describe()} is not open")
        return self._sock

    def write(self, data: bytes, timeout: float | None = None) -> None:
        sock = self._connected()
        sock.settimeout(self._timeout(timeout))
        try:
            sock.sendall(data)
        except TimeoutError as exc:
            raise TransportTimeout(f"write to {self.describe()} timed out") from exc
        except OSError as exc:
            raise TransportClosed(f"write to {self.describe()} failed: {exc}") from exc

    def read(self, size: int = 4096, timeout: float | None = None) -> bytes:
        sock = self._connected()
        sock.settimeout(self._timeout(timeout))
        try:
            data = sock.recv(size)
        except TimeoutError as exc:
            raise TransportTimeout(f"no reply from {self.describe()}") from exc
        except OSError as exc:
            raise TransportClosed(f"read from {self.describe()} failed: {exc}") from exc
        if not data:
            raise TransportClosed(f"{self.describe()} closed the connection")
        return data

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()
