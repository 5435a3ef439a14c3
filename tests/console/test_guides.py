"""The operator guide lists every console alert and button word for word. (That every command
the guides show exists and every screenshot they link is there: tests/test_docs.py.)"""

from __future__ import annotations

from pathlib import Path

from cetak.agent.console import messages as M
from cetak.i18n import gettext_for

DOCS = Path(__file__).resolve().parents[2] / "docs"


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
