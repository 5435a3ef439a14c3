"""printer-state-reasons and marker levels as the agent's printer status and alerts."""

from __future__ import annotations

import pytest

from cetak.printers.cups import ipp
from cetak.printers.cups.queue import parse_queue, reason_condition
from cetak.printers.status import Condition, State


@pytest.mark.parametrize(("reason", "condition"), [
    ("media-empty", Condition.FEEDER_EMPTY), ("media-empty-error", Condition.FEEDER_EMPTY),
    ("media-jam", Condition.CARD_JAM), ("marker-supply-empty-error", Condition.RIBBON_OUT),
    ("cover-open", Condition.COVER_OPEN), ("offline-report", Condition.NONE),
    ("offline", Condition.OFFLINE), ("media-low-warning", Condition.NONE),
    ("connecting-to-device", Condition.NONE), ("none", Condition.NONE),
    ("paused", Condition.NONE), ("com.hid-ribbon-error", Condition.OTHER),
])
def test_reasons_map_to_conditions(reason: str, condition: Condition) -> None:
    assert reason_condition(reason) is condition


def test_an_error_reason_is_an_error_state_with_the_condition_and_the_ribbon_level() -> None:
    st = parse_queue({"printer-state": ipp.PRINTER_STOPPED,
                      "printer-state-reasons": ["media-low-warning", "media-jam-error"],
                      "printer-is-accepting-jobs": True, "marker-levels": [-1, 37]})
    assert st.condition is Condition.CARD_JAM and st.why_not_ready == "card jam"
    status = st.to_status()
    assert (status.state, status.condition) == (State.ERROR, Condition.CARD_JAM)
    assert (status.ribbon_left, status.ribbon_capacity) == (37, 100)


def test_a_paused_queue_is_not_ready_and_says_so() -> None:
    st = parse_queue({"printer-state": ipp.PRINTER_STOPPED, "printer-state-reasons": "paused",
                      "printer-is-accepting-jobs": True})
    assert st.why_not_ready == "queue stopped"
    status = st.to_status()
    assert (status.state, status.condition) == (State.ERROR, Condition.QUEUE_STOPPED)
    assert status.message == "paused"


def test_offline_and_idle() -> None:
    offline = parse_queue({"printer-state": ipp.PRINTER_IDLE,
                           "printer-state-reasons": "offline-error"})
    assert offline.to_status().state is State.OFFLINE
    idle = parse_queue({"printer-state": ipp.PRINTER_IDLE, "printer-state-reasons": "none",
                        "printer-is-accepting-jobs": True})
    assert idle.why_not_ready == "" and idle.to_status().state is State.READY
    refusing = parse_queue({"printer-state": ipp.PRINTER_IDLE,
                            "printer-is-accepting-jobs": False})
    assert refusing.why_not_ready == "queue not accepting jobs"


def test_the_fixed_reasons_of_a_queue_are_translated_for_the_console() -> None:
    from cetak.agent.console import messages
    from cetak.printers.cups import queue

    for name in ("NOT_TRUSTED", "CANCELLED_WHILE_PRINTING", "ABORTED_WHILE_PRINTING",
                 "VANISHED", "NO_JOB", "QUEUE_NOT_ACCEPTING"):
        reason = getattr(queue, name)
        assert messages.REASONS[reason] == reason
