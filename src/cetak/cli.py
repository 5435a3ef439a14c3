"""The `cetak` command: one subcommand group per component, each registered by its own module.

Group modules are imported only to build the parser; they keep heavy imports inside their
command functions so `cetak --help` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

from cetak.i18n import N_

# (group name, module providing `register(subparsers)`, one-line help)
COMMAND_GROUPS: list[tuple[str, str, str]] = [
    ("demo", "cetak.demo.cli", "run a whole small campaign end to end on this machine"),
    ("controller", "cetak.controller.cli", "run the central controller"),
    ("campaign", "cetak.controller.campaign_cli",
     "create, change, cancel, import, inspect and verify campaigns"),
    ("site", "cetak.controller.site_cli",
     "register sites: name, time zone, working hours, overtime cap, holidays, printers"),
    ("inventory", "cetak.controller.inventory_cli",
     "blanks, ribbons and films per site: receive, transfer, spoil, destroy, show"),
    ("plan", "cetak.controller.plan_cli", "what each site needs and what to move where"),
    ("simulate", "cetak.simulate.cli",
     "run a campaign scenario in virtual time on the real scheduler (and the 2019 way)"),
    ("agent", "cetak.agent.cli", "run or manage a printer-host agent"),
    ("printer", "cetak.printers.cli", "decode printer streams, emulate a printer"),
    ("card", "cetak.card.cli", "card layout proofs"),
    ("chip", "cetak.card.chip_cli", "verify chip data"),
    ("record", "cetak.controller.record_cli", "validate PRR files, look up records"),
    ("pki", "cetak.security.pki_cli", "create a PKI and issue certificates"),
    ("audit", "cetak.security.audit_cli", "read (show) and verify the audit log"),
]


class CommandGroupMissing(Exception):
    """A command group's module failed to import: the installation is broken."""

    def __init__(self, group: str, module: str, cause: ImportError) -> None:
        super().__init__(
            f"the '{group}' commands cannot be loaded: module {module} failed to import "
            f"({type(cause).__name__}: {cause}). The installation is incomplete or shadowed "
            f"by another 'cetak' folder on the path; reinstall with `python -m pip install .` "
            f"and run from a folder without a 'cetak' directory in it.")
        self.group = group
        self.module = module


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cetak", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    groups = parser.add_subparsers(dest="group", metavar="COMMAND")
    for name, module_name, help_text in COMMAND_GROUPS:
        # Every group is part of the one installed package: a group that fails to import is a
        # broken install, said by name, never a command that silently vanishes.
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise CommandGroupMissing(name, module_name, exc) from exc
        sub = groups.add_parser(name, help=help_text, description=help_text)
        module.register(sub)
    return parser


UNEXPECTED = N_("unexpected error: {error} (run it again as `cetak -v ...` for the details)")
INTERRUPTED = N_("interrupted")


def command_name(args: argparse.Namespace) -> str:
    """'cetak record held' for the parsed `args`: the words a message starts with."""
    group = getattr(args, "group", None)
    sub = getattr(args, f"{group}_command", None) or getattr(args, "command", None)
    words = [group, sub]
    return " ".join(["cetak", *(w for w in words if isinstance(w, str) and w)])


def main(argv: list[str] | None = None) -> int:
    # gRPC's core writes its own INFO lines to stderr (a failed TLS handshake, in its words)
    # unless told otherwise; the commands say what went wrong themselves. Set before the
    # command groups import grpc; an operator's own GRPC_VERBOSITY still wins.
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    try:
        parser = build_parser()
    except CommandGroupMissing as exc:
        print(f"cetak: error: {exc}", file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return 2
    return run_handler(handler, args)


def run_handler(handler, args: argparse.Namespace) -> int:  # noqa: ANN001 - a command function
    """Run one command; whatever escapes it becomes one line on stderr, never a traceback
    (with -v the traceback follows the line, for whoever reports the problem)."""
    import grpc

    from cetak.client import ClientError, describe_rpc_error
    from cetak.i18n import tr

    try:
        return int(handler(args) or 0)
    except ClientError as exc:
        message = " ".join(str(exc).split())  # one line, whatever the cause's text was
        if not message.startswith("cetak "):
            message = f"{command_name(args)}: {message}"
        print(message, file=sys.stderr)
        return exc.exit_code
    except grpc.RpcError as exc:  # a call the command did not wrap in admin_call
        print(f"{command_name(args)}: "
              f"{describe_rpc_error(exc, getattr(args, 'controller', ''))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{command_name(args)}: {tr(INTERRUPTED)}", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of stdout went away (`| head`): nothing more to say to anyone.
        # The interpreter's flush at exit would raise again: point stdout at nothing.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:  # noqa: BLE001 - the last resort: one line, not a traceback
        if args.verbose:
            import traceback

            traceback.print_exc(file=sys.stderr)
        text = " ".join(str(exc).split()) or type(exc).__name__
        print(f"{command_name(args)}: {tr(UNEXPECTED, error=f'{type(exc).__name__}: {text}')}",
              file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
