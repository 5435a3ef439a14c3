"""The virtual printer's raw TCP port: bytes in, replies out, like a network card printer.

Each connection gets its own port (input buffer) on the shared mechanism. While the printer has
no power every connection is closed and new ones are dropped at once, as a dead printer would.
"""

from __future__ import annotations

import socket
import socketserver
import threading

from cetak.printers.virtual.device import VirtualPrinter

RECV_SIZE = 65536


class _PrinterHandler(socketserver.BaseRequestHandler):
    server: PrinterServer

    def handle(self) -> None:
        printer = self.server.printer
        sock: socket.socket = self.request
        sock.settimeout(0.2)  # wake up to notice power loss and shutdown
        port = printer.open_port()
        while printer.powered and not self.server.stopping.is_set():
            try:
                data = sock.recv(RECV_SIZE)
            except TimeoutError:
                continue
            except OSError:
                return
            if not data:
                return
            replies = port.receive(data)
            if replies and printer.powered:
                try:
                    sock.sendall(replies)
                except OSError:
                    return


class PrinterServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def __init__(self, printer: VirtualPrinter, address: tuple[str, int],
                 handler: type[socketserver.BaseRequestHandler] = _PrinterHandler) -> None:
        self.printer = printer
        self.stopping = threading.Event()
        super().__init__(address, handler)

    def service_actions(self) -> None:
        self.printer.tick()  # finish cards whose time has come even if nobody polls

    def verify_request(self, request: object, client_address: object) -> bool:
        return self.printer.powered

    def stop(self) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()


def create_server(printer: VirtualPrinter, host: str = "127.0.0.1",
                  port: int = 0) -> tuple[PrinterServer, int]:
    """A server bound to (host, port) — port 0 picks a free one — and its actual port.
    Run it with `serve_forever()` (e.g. in a thread); stop it with `stop()`."""
    server = PrinterServer(printer, (host, port))
    return server, server.server_address[1]


def serve_in_thread(server: socketserver.BaseServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="virtual-printer-tcp", daemon=True)
    thread.start()
    return thread
