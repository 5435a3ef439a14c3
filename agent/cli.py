"""`cetak agent ...`: run a printer-host agent; release a dead agent's leases (admin)."""

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
    run.add_argument("--lang", choices=("id", "en"), default=None,
                     help="language of operator messages and the console's default (default: "
                          "from LC_ALL/LC_MESSAGES/LANG, else id = Bahasa Indonesia)")
    run.set_defaults(handler=_run)

    from cetak.client import add_connection_options

    release = commands.add_parser(
        "release", help="release the leases of an agent declared dead (admin)",
        description="For an agent that will not come back (stolen PC, dead disk): its unstarted "
                    "leases go back to the queue at once; cards it had started are held as "
                    "unknown until resolved. Refused while the agent is connected.")
    release.add_argument("--agent", required=True, metavar="ID", help="the agent's id")
    release.add_argument("--reason", default="declared dead by an admin")
    release.add_argument("--json", action="store_true", help="one JSON object on stdout")
    add_connection_options(release)
    release.set_defaults(handler=_release)


def _release(args: argparse.Namespace) -> int:
    import json

    from cetak.api.v1 import admin_pb2
    from cetak.client import admin_call

    r = admin_call(args, "agent release", "ReleaseAgent", admin_pb2.ReleaseAgentRequest(
        agent_id=args.agent, reason=args.reason), timeout=60)
    if args.json:
        print(json.dumps({"agent_id": args.agent, "released": r.released}))
    else:
        print(f"released {r.released} lease(s) of agent {args.agent}")
    return 0


def _run(args: argparse.Namespace) -> int:
    from cetak.agent.config import load_config
    from cetak.agent.daemon import run_agent
    from cetak.agent.errors import AgentError, ConfigError
    from cetak.i18n import choose_language, gettext_for

    # The operator reads these (Bahasa Indonesia by default); the details they quote (config
    # keys, file modes) stay as the code wrote them, so they can be searched for.
    lang = choose_language(getattr(args, "lang", None))
    _ = gettext_for(lang)
    try:
        config = load_config(args.config)
        code = run_agent(config, lang=lang)
    except ConfigError as exc:
        log.error(_("Configuration {file}: {error} (fix the file, then start the agent "
                    "again)").format(file=args.config, error=exc))
        return 2
    except AgentError as exc:
        log.error(_("The agent could not start: {error}").format(error=exc))
        return 1
    if code == 0:
        log.warning(_("The agent has stopped; its work is kept in the journal"))
    else:
        log.error(_("The agent stopped after an error; see the messages above"))
    return code
