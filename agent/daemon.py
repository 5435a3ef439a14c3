"""Wiring of a production agent: key, journal, printers, TLS channel, signals, event loop."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Any

import grpc

from cetak.agent.backend import PrinterBackend
from cetak.agent.config import AgentConfig, ControllerConfig, JournalConfig
from cetak.agent.errors import ConfigError
from cetak.agent.journal import Journal
from cetak.agent.runner import Agent, ChannelFactory
from cetak.agent.sealing import Sealer, load_key_env, load_key_file

log = logging.getLogger(__name__)

BackendFactory = Callable[[AgentConfig], Sequence[PrinterBackend]]


def open_journal(config: JournalConfig) -> Journal:
    """Load the journal key (file or environment) and open the journal with it."""
    if config.key_file is not None:
        key = load_key_file(config.key_file)
    else:
        key = load_key_env(config.key_env or "")
    return Journal(config.path, Sealer(key))


def channel_factory(config: ControllerConfig) -> ChannelFactory:
    """A factory of channels to the controller; TLS material is read once, here, so a missing
    file is reported at start naming its key rather than at every reconnect."""
    # Keepalive pings are left at gRPC defaults: the controller's servers refuse frequent
    # pings, and the agent detects dead streams through heartbeat silence instead.
    if config.insecure:
        return lambda: grpc.aio.insecure_channel(config.address)
    material = {}
    for name in ("ca", "cert", "key"):
        path = getattr(config, name)
        try:
            material[name] = path.read_bytes()
        except OSError as exc:
            raise ConfigError(f"controller.{name}",
                              f"cannot read {path}: {exc.strerror or exc}") from exc
    credentials = grpc.ssl_channel_credentials(root_certificates=material["ca"],
                                               private_key=material["key"],
                                               certificate_chain=material["cert"])
    from cetak.security.tls import CONTROLLER_TLS_NAME

    options = [("grpc.ssl_target_name_override", config.server_name or CONTROLLER_TLS_NAME)]
    return lambda: grpc.aio.secure_channel(config.address, credentials, options=options)


def default_backends(config: AgentConfig) -> Sequence[PrinterBackend]:
    from cetak.agent.printer_backend import build_backends

    return build_backends(config)


def run_agent(config: AgentConfig, backend_factory: BackendFactory | None = None, *,
              lang: str | None = None) -> int:
    """Run an agent until SIGTERM/SIGINT; returns the exit code (0 after a clean stop).
    `lang`: the operator console's default language (cetak.i18n.choose_language)."""
    channels = channel_factory(config.controller)
    journal = open_journal(config.journal)
    try:
        backends = (backend_factory or default_backends)(config)
    except BaseException:
        journal.close()
        raise

    async def main() -> int:
        agent = Agent(config, journal, backends, channels)
        metrics_server = None
        if config.metrics_port:
            metrics_server = agent.metrics.serve(config.metrics_port, config.metrics_address)
            log.info("metrics on http://%s:%d/metrics", config.metrics_address,
                     metrics_server.port)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, agent.request_stop)
        log.info("agent %s for site %s with %d printer(s)", config.agent_id, config.site_code,
                 len(backends))
        console = _start_console(agent, config, lang)
        try:
            return await agent.run()
        finally:
            if console is not None:
                console.stop()
            if metrics_server is not None:
                metrics_server.stop()

    return asyncio.run(main())


def _start_console(agent: Agent, config: AgentConfig, lang: str | None) -> Any:
    if not config.console_address:
        return None
    from cetak.agent.console import start_console
    from cetak.i18n import choose_language, gettext_for

    chosen = choose_language(lang)
    console = start_console(agent, config.console_address, chosen)
    if console is not None:
        # Told on stderr whatever the log level: the operator needs this address.
        _ = gettext_for(chosen)
        print(_("Operator console: {url}").format(url=console.url), file=sys.stderr, flush=True)
    return console
