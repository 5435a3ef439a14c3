"""`cetak agent ...`: run a printer-host agent (and, later, agent administration calls)."""

from __future__ import annotations

import argparse
import logging

log = logging.getLogger(__name__)


def register(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="agent_command", metavar="SUBCOMMAND")
    run = commands.add_parser("run", help="run the agent daemon until SIGTERM",
                              description="Run the agent: lease work from the controller, print "
                                          "it, survive outages. Stops cleanly on SIGTERM.")
    run.add_argument("--config", required=True, metavar="FILE", help="agent TOML configuration")
    run.set_defaults(handler=_run)
    # `agent release --agent ID` (admin: release a dead agent's leases) joins this group later.


def _run(args: argparse.Namespace) -> int:
    from cetak.agent.config import load_config
    from cetak.agent.daemon import run_agent
    from cetak.agent.errors import AgentError, ConfigError

    try:
        config = load_config(args.config)
        return run_agent(config)
    except ConfigError as exc:
        log.error("configuration %s: %s", args.config, exc)
        return 2
    except AgentError as exc:
        log.error("%s", exc)
        return 1
