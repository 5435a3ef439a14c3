"""Subprocess for the SIGTERM test: a real agent daemon (run_agent, signal handlers included)
with a fake printer whose cards stay in the printer until a release file appears."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

from agent_fakes import FakePrinter

from cetak.agent.config import load_config
from cetak.agent.daemon import run_agent


def main() -> int:
    config = load_config(sys.argv[1])
    release = Path(sys.argv[2])
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")

    def hold_until_released(record_id: str) -> None:
        deadline = time.monotonic() + 30
        while not release.exists() and time.monotonic() < deadline:
            time.sleep(0.01)

    return run_agent(config, lambda c: [FakePrinter(c.printers[0].id,
                                                    after_fed=hold_until_released)])


if __name__ == "__main__":
    sys.exit(main())
