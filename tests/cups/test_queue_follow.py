"""The job follower's rules, step by step, for what a real spooler does too rarely or too fast
to catch on cue: answers are scripted per poll (the real-server cases are in
test_cups_backend.py). The clock is a counter, so timeouts are exact and nothing sleeps."""

from __future__ import annotations

from typing import Any

import pytest

from cetak.api.v1 import common_pb2
from cetak.printers.cups import ipp
from cetak.printers.cups.queue import CupsQueue

IDLE = {"printer-state": ipp.PRINTER_IDLE, "printer-state-reasons": "none",
        "printer-is-accepting-jobs": True}
JAM = {**IDLE, "printer-state": ipp.PRINTER_STOPPED, "printer-state-reasons": "media-jam"}
DATE = b"\x07\xea\x0c\x04\x05\x00\x00\x00+\x00\x00"


def job(state: int, began: bytes | None = None, reasons: str = "none") -> dict[str, Any]:
    return {"job-state": state, "job-state-reasons": reasons,
            "date-time-at-processing": began}


DOWN = ipp.IppError("cannot reach the spooler")


class ScriptedClient:
    """Answers Get-Job-Attributes from a list (one item per poll; an exception is raised);
    the printer attributes from `printer`. Records cancels and submits."""

    keep_alive = True

    def __init__(self, jobs: list[Any], printer: dict | None = None, *,
                 submit: Any = 7, found: list[dict] | None = None) -> None:
        self.answers = list(jobs)
        self.printer = printer or IDLE
        self.submit = submit
        self.found = found or []
        self.cancelled: list[int] = []
        self.submitted = 0
        self.connections = 1
        self.reconnect_at: int | None = None
        self.polls = 0
        self.lookups: list[tuple[str, bool]] = []

    def close(self) -> None:
        pass

    def printer_attributes(self, names) -> dict:
        return self.printer

    def print_job(self, name, document, fmt, attrs) -> int:
        self.submitted += 1
        if isinstance(self.submit, Exception):
            raise self.submit
        return self.submit

    def job_attributes(self, job_id, names):
        self.polls += 1
        if self.reconnect_at == self.polls:
            self.connections += 1
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def jobs(self, names, *, which: str, my_jobs: bool) -> list[dict]:
        self.lookups.append((which, my_jobs))
        return self.found

    def cancel_job(self, job_id) -> bool:
        self.cancelled.append(job_id)
        return True


def run(client: ScriptedClient, *, trusted: bool = True, pending: float = 5,
        timeout: float = 10) -> tuple[Any, list[str]]:
    clock = iter(range(10_000))
    calls: list[str] = []
    queue = CupsQueue(client, trusted=trusted, pending_timeout=pending, job_timeout=timeout,
                      sleep=lambda s: None, clock=lambda: float(next(clock)))
    out = queue.print_document("att-1", b"doc", "application/pdf", {},
                               on_submitted=lambda j: calls.append(f"submitted {j}"),
                               on_processing=lambda: calls.append("processing"))
    return out, calls


P, R, D = ipp.JOB_PENDING, ipp.JOB_PROCESSING, ipp.JOB_COMPLETED


CANCELS = ("requeued", "started the job again", "unreachable", "no result", "with errors")


@pytest.mark.parametrize(("jobs", "state", "reason"), [
    ([job(P), job(R, DATE), job(D, DATE)], common_pb2.PRINTED, ""),
    ([job(R, DATE), job(D, DATE, "job-completed-with-errors")], common_pb2.UNKNOWN,
     "job completed with errors"),
    ([job(P), job(ipp.JOB_CANCELED)], common_pb2.FAILED_BEFORE_CARD,
     "job cancelled before printing"),
    ([job(P), job(ipp.JOB_ABORTED, None, "aborted-by-system")], common_pb2.FAILED_BEFORE_CARD,
     "job aborted before printing (aborted-by-system)"),
    ([job(R, DATE), job(ipp.JOB_ABORTED, DATE)], common_pb2.UNKNOWN,
     "job aborted while printing"),
    ([job(R, DATE), job(ipp.JOB_CANCELED, DATE)], common_pb2.UNKNOWN,
     "job cancelled while printing"),
    ([job(R, DATE), None], common_pb2.UNKNOWN, "job vanished from the queue"),
    ([job(R, DATE), job(P)], common_pb2.UNKNOWN, "the spooler requeued the job after it began"),
    ([job(R, DATE), job(R, DATE[:-4] + b"\x01\x00+\x00")], common_pb2.UNKNOWN,
     "the spooler started the job again (restarted?); it may have printed more than once"),
    ([job(R, DATE), DOWN, job(D, DATE)], common_pb2.UNKNOWN,
     "the spooler was unreachable while the job printed (restarted?); it may have printed "
     "more than once"),
    ([job(P), DOWN, job(P), job(R, DATE), job(D, DATE)], common_pb2.PRINTED, ""),
    ([job(R, DATE)], common_pb2.UNKNOWN, "no result from the spooler in time"),
])
def test_job_states_map_onto_outcomes(jobs: list, state: int, reason: str) -> None:
    client = ScriptedClient(jobs)
    out, calls = run(client)
    assert (out.state, out.reason) == (state, reason)
    assert calls[0] == "submitted 7" and client.submitted == 1  # never resubmitted
    assert ("processing" in calls) == out.processed
    # what the spooler still holds of an ambiguous job is cancelled, so it never prints later
    assert client.cancelled == ([7] if any(w in reason for w in CANCELS) else [])


def test_a_restart_between_polls_shows_as_a_new_connection() -> None:
    client = ScriptedClient([job(R, DATE), job(R, DATE), job(D, DATE)])
    client.reconnect_at = 2
    out, _ = run(client)
    assert out.state == common_pb2.UNKNOWN and "more than once" in out.reason


def test_a_printer_error_seen_while_the_job_ran_spoils_the_card() -> None:
    client = ScriptedClient([job(R, DATE), job(ipp.JOB_ABORTED, DATE)], printer=IDLE)
    clock_calls = []

    def jam_after_start(names):
        clock_calls.append(1)
        return IDLE if len(clock_calls) == 1 else JAM
    client.printer_attributes = jam_after_start  # type: ignore[method-assign]
    out, calls = run(client)
    assert (out.state, out.reason) == (common_pb2.SPOILED, "card jam")
    assert calls == ["submitted 7", "processing"]


def test_untrusted_completion_is_for_the_operator() -> None:
    out, _ = run(ScriptedClient([job(R, DATE), job(D, DATE)]), trusted=False)
    assert (out.state, out.reason) == (common_pb2.UNKNOWN,
                                       "completed; queue not trusted: confirm")


def test_a_job_pending_too_long_is_withdrawn_then_failed_before_card() -> None:
    client = ScriptedClient([job(P)] * 8 + [job(ipp.JOB_CANCELED)])
    out, calls = run(client, pending=3)
    assert out.state == common_pb2.FAILED_BEFORE_CARD
    assert out.reason.startswith("withdrawn from the queue unprinted")
    assert client.cancelled == [7] and "processing" not in calls


def test_a_queue_with_an_error_gets_no_job() -> None:
    client = ScriptedClient([job(P)], printer=JAM)
    out, calls = run(client)
    assert (out.state, out.reason) == (common_pb2.FAILED_BEFORE_CARD, "card jam")
    assert client.submitted == 0 and calls == []


def test_a_refused_or_unreachable_submit_fails_before_card() -> None:
    refused = ScriptedClient([job(P)], submit=ipp.IppStatusError("Print-Job", 0x040A))
    out, calls = run(refused)
    assert out.state == common_pb2.FAILED_BEFORE_CARD and "refused" in out.reason
    down = ScriptedClient([job(P)], submit=ipp.IppUnreachable("refused"))
    out, calls = run(down)
    assert out.state == common_pb2.FAILED_BEFORE_CARD and calls == []


def test_an_interrupted_submit_is_looked_up_by_name_never_resent() -> None:
    client = ScriptedClient([job(R, DATE), job(D, DATE)], submit=ipp.IppError("reset"),
                            found=[{"job-id": 3, "job-name": "att-0"},
                                   {"job-id": 9, "job-name": "att-1"}])
    out, calls = run(client)
    assert out.state == common_pb2.PRINTED and calls == ["submitted 9", "processing"]
    assert client.submitted == 1 and client.lookups == [("all", True)]


def test_an_interrupted_submit_with_no_job_found_is_unknown() -> None:
    client = ScriptedClient([job(P)], submit=ipp.IppError("reset"), found=[])
    out, calls = run(client)
    assert (out.state, out.reason) == (common_pb2.UNKNOWN,
                                       "no job of this attempt in the queue")
    assert client.submitted == 1 and calls == []


def test_a_report_left_by_an_earlier_card_is_not_this_cards_reason() -> None:
    left_over = {**IDLE, "printer-state-reasons": "media-jam-report"}
    client = ScriptedClient([job(R, DATE), job(ipp.JOB_ABORTED, DATE)], printer=left_over)
    out, _ = run(client)
    assert (out.state, out.reason) == (common_pb2.UNKNOWN, "job aborted while printing")
