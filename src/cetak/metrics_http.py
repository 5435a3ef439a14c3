"""Serving a Prometheus registry over HTTP: one way for the controller and the agent."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, disable_created_metrics, start_http_server


@dataclass
class MetricsServer:
    server: object   # wsgiref WSGIServer
    thread: threading.Thread

    @property
    def port(self) -> int:
        return self.server.server_port  # type: ignore[attr-defined]

    def stop(self) -> None:
        self.server.shutdown()  # type: ignore[attr-defined]
        self.server.server_close()  # type: ignore[attr-defined]
        self.thread.join(timeout=5)


def serve_metrics(registry: CollectorRegistry, port: int,
                  address: str = "127.0.0.1") -> MetricsServer:
    """Serve /metrics over HTTP on `address:port` (port 0 picks a free one)."""
    # The text format shows each counter's `_created` as a gauge of its own: twice the
    # series, read by nobody, and confusing beside cetak's own gauges. Process-wide, which
    # is what a serving process wants.
    disable_created_metrics()
    server, thread = start_http_server(port, addr=address, registry=registry)
    return MetricsServer(server, thread)
