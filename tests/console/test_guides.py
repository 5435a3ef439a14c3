"""The guides match the product: every command they show parses with today's `cetak`, every
screenshot they show exists, and the operator guide lists every console alert word for word."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from cetak.agent.console import messages as M
from cetak.cli import build_parser
from cetak.i18n import gettext_for

DOCS = Path(__file__).resolve().parents[2] / "docs"
GUIDES = ("operator-guide.md", "admin-guide.md")


def _commands(text: str) -> list[str]:
    out = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            line = line.split("  #")[0].strip()
            if line.startswith("cetak "):
                out.append(line)
    return out


@pytest.mark.parametrize("guide", GUIDES)
def test_every_command_shown_exists(guide: str) -> None:
    parser = build_parser()
    commands = _commands((DOCS / guide).read_text("utf-8"))
    for command in commands:
        try:
            parser.parse_args(shlex.split(command)[1:])
        except SystemExit as exc:
            pytest.fail(f"{guide}: `{command}` does not parse ({exc})")
    assert commands or guide == "operator-guide.md"


@pytest.mark.parametrize("guide", GUIDES)
def test_every_image_exists(guide: str) -> None:
    for image in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", (DOCS / guide).read_text("utf-8")):
        assert (DOCS / image).is_file(), f"{guide}: missing {image}"


def test_operator_guide_lists_every_alert_as_the_console_says_it() -> None:
    text = (DOCS / "operator-guide.md").read_text("utf-8")
    _ = gettext_for("id")
    for alert in M.ALERTS.values():
        assert _(alert) in text, _(alert)
    assert _(M.CARD_LEFT) in text
    # Alerts and banners with values: the words up to the first one.
    for message in (M.UNKNOWN_OUTCOME, M.UNKNOWN_AFTER_RESTART, *M.REFUSED.values()):
        words = _(message).split("{")[0].strip()
        assert words and words in " ".join(text.split()), words
    for label in ("continue", "pause", "resume", "blanks_loaded", "mark_spoiled", "printed",
                  "not_printed", "save"):
        assert f"**{_(M.LABELS[label])}**" in text, label
