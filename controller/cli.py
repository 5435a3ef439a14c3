"""`cetak controller serve`: run the central controller until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

log = logging.getLogger("cetak.controller")


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    serve = sub.add_parser("serve", help="serve the agent and admin APIs")
    serve.add_argument("--listen", default="127.0.0.1:7443",
                       help="HOST:PORT to listen on (port 0 picks a free one)")
    serve.add_argument("--store", default="sqlite:///var/lib/cetak/controller.db",
                       help="store URL: sqlite:///PATH or a file path")
    serve.add_argument("--pki", metavar="DIR", help="PKI folder (cetak pki init): mutual TLS")
    serve.add_argument("--insecure", action="store_true",
                       help="plaintext gRPC without client certificates (tests and demos only)")
    serve.add_argument("--lease-seconds", type=float, default=6 * 3600,
                       help="lease lifetime (default 6 h)")
    serve.add_argument("--skew-margin-seconds", type=float, default=120.0,
                       help="clock skew tolerated between agents and controller")
    serve.add_argument("--window-hours", type=float, default=4.0,
                       help="default hours of printing an agent holds through an outage")
    serve.add_argument("--port-file", type=Path,
                       help="write the bound port here once listening (for port 0)")
    serve.add_argument("--metrics-port", type=int, default=0,
                       help="serve Prometheus /metrics on this port (0: off)")
    serve.add_argument("--metrics-address", default="127.0.0.1",
                       help="address /metrics listens on (default loopback; 0.0.0.0 lets a "
                            "Prometheus on another host scrape it)")
    serve.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    from .ledger import LeasePolicy
    from .server import create_server

    if not args.pki and not args.insecure:
        print("cetak controller serve: give --pki DIR for mutual TLS, or --insecure",
              file=sys.stderr)
        return 2
    policy = LeasePolicy(lease_ms=int(args.lease_seconds * 1000),
                         skew_margin_ms=int(args.skew_margin_seconds * 1000),
                         window_hours=args.window_hours)
    credentials = revocations = None
    if args.pki:
        from cetak.security.errors import SecurityError
        from cetak.security.revocation import Revocations
        from cetak.security.tls import server_credentials

        try:
            credentials = server_credentials(args.pki)
            revocations = Revocations(args.pki)  # crl.pem, written by `cetak pki revoke`
        except SecurityError as exc:
            print(f"cetak controller serve: --pki: {exc}", file=sys.stderr)
            return 2
    else:
        log.warning("serving PLAINTEXT without client certificates (--insecure): "
                    "anyone who can reach %s can act as any agent or admin", args.listen)

    async def main() -> None:
        controller = create_server(args.listen, args.store, policy=policy,
                                   server_credentials=credentials, revocations=revocations)
        await controller.start()
        metrics_server = None
        if args.metrics_port:
            # Up before the port file appears, so whoever waits for that file can scrape.
            metrics_server = controller.metrics.serve(args.metrics_port, args.metrics_address)
            log.info("metrics on http://%s:%d/metrics", args.metrics_address,
                     metrics_server.port)
        if args.port_file:
            tmp = args.port_file.with_suffix(".tmp")
            tmp.write_text(str(controller.port))
            os.replace(tmp, args.port_file)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        log.info("controller stopping")
        if metrics_server is not None:
            metrics_server.stop()
        await controller.stop()

    asyncio.run(main())
    return 0
