"""What the console shows and does, from the agent's own objects; no HTTP here (server.py).

Read side: `state()` builds one JSON-ready dict per request from the workers (paused, card in
progress, latest outcomes), the printers' last status (the driver keeps it; the agent polls
idle printers), the journal (leases left, reports not yet acknowledged) and the connection.
Names come from the sealed payloads of the card in progress and the next few queued leases,
only for a viewer allowed to see them (server.py decides: the site's own PC); everyone else
gets initials.

Write side: `act()` validates an operator action, does its local part (pause the worker; for
a virtual printer the operator's physical act through its service port) and journals an
OperatorAction, which the session sends to the controller and replays until it is acked (the
controller writes it to its audit log). Action details carry ids, counts and reason codes only.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from collections.abc import Callable
from typing import Any

from cetak.agent.console import messages as M
from cetak.agent.console.hands import Hands, hands_for
from cetak.api.v1 import agent_pb2, common_pb2
from cetak.i18n import gettext_for
from cetak.printers.status import Condition

log = logging.getLogger(__name__)

ACTIONS = ("pause", "resume", "jam_cleared", "blanks_loaded", "card_spoiled", "unknown_resolved")
QUEUE_SHOWN = 10          # queued cards listed by name; the rest are counted
LOW_PERCENT = 10          # ribbon/film below this: warn ahead of time
LOW_BLANKS = 10
_SERIAL = re.compile(r"^[A-Za-z0-9/_.#-]{1,64}$")


class ActionError(Exception):
    """An operator action refused; `code` names the message (messages.ERRORS)."""

    def __init__(self, code: str, **values: object) -> None:
        super().__init__(code)
        self.code = code
        self.values = values


def mask_name(name: str) -> str:
    """Initials only: "Siti Rahayu" -> "S*** R***" (same length for every name, so the mask
    tells nothing about the name's length)."""
    return " ".join(part[0] + "***" for part in name.split() if part) or "***"


class Console:
    def __init__(self, agent: Any, *, default_lang: str = "id",
                 status_of: Callable[[Any], Any] | None = None) -> None:
        self.agent = agent
        self.default_lang = default_lang
        self._status_of = status_of or _last_status
        self._hands: dict[str, Hands | None] = {}
        self._reported: set[str] = set()   # attempt ids spoiled or resolved from this console
        self._names: dict[str, str] = {}   # lease id -> name, for leases still held/started
        self._lock = threading.Lock()

    # --- read side --------------------------------------------------------------------------

    def state(self, lang: str, *, show_names: bool) -> dict[str, Any]:
        _ = gettext_for(lang)
        a = self.agent
        journal = a.journal
        remaining = journal.outstanding_count()
        unsent = journal.pending_event_count() + journal.pending_action_count()
        connected = bool(a.connected)
        refused = None if connected else getattr(a, "refused", None)
        if connected:
            banner = _(M.CONNECTED)
        elif refused in M.REFUSED:
            banner = _(M.REFUSED[refused]).format(count=remaining)
        else:
            banner = _(M.DISCONNECTED).format(count=remaining)
        held = journal.leases("held")
        names = self._names_of([lease.lease_id for lease in held[:QUEUE_SHOWN]]
                               + [w.printing for w in a.workers if w.printing], show_names)
        # An unknown outcome of a printer no longer configured is still owed an answer: it is
        # asked on the first printer's card, naming its own printer.
        configured = {backend.printer_id for backend in a.backends}
        orphans = [e for e in journal.unresolved() if e.printer_id not in configured]
        printers = [self._printer(backend, lang, names, orphans if i == 0 else [])
                    for i, backend in enumerate(a.backends)]
        queue = [{"record_id": lease.record_id, "name": names.get(lease.lease_id, "")}
                 for lease in held[:QUEUE_SHOWN]]
        return {
            "agent_id": a.config.agent_id, "site_code": a.config.site_code,
            "connected": connected, "refused": refused, "banner": banner,
            "remaining": remaining,
            "unsent": unsent, "unsent_text": _(M.UNSENT).format(count=unsent) if unsent else "",
            "names_shown": show_names, "printers": printers,
            "queue": {"count": len(held), "shown": queue,
                      "more": max(0, len(held) - QUEUE_SHOWN)},
            "stopping": bool(getattr(a, "stopping", False)),
        }

    def _printer(self, backend: Any, lang: str, names: dict[str, str],
                 orphans: list[agent_pb2.JobEvent]) -> dict[str, Any]:
        _ = gettext_for(lang)
        worker = self._worker(backend.printer_id)
        st = self._status_of(backend)
        info = backend.info()
        state = st.state.value if st is not None else "unknown"
        alerts: list[dict[str, Any]] = []
        card_left = bool(worker and getattr(worker, "card_left", False))
        if card_left:
            # The printer says "busy"; what it needs is a person: no card is fed meanwhile.
            state = "error"
            alerts.append({"level": "error", "text": _(M.CARD_LEFT), "condition": "card_left",
                           "printer_says": st.message if st is not None else ""})
        if st is not None and st.state.value in ("error", "offline"):
            condition = st.condition
            text = M.ALERTS.get(condition) or M.ALERTS[Condition.OTHER]
            alerts.append({"level": "error", "text": _(text), "printer_says": st.message,
                           "condition": condition.name.lower()})
        ribbon = _percent(st.ribbon_left, st.ribbon_capacity) if st else None
        film = _percent(st.film_left, st.film_capacity) if st else None
        blanks = st.blanks_in_hopper if st else None
        if st is not None and not alerts:
            if ribbon is not None and ribbon < LOW_PERCENT:
                alerts.append({"level": "warning", "text": _(M.LOW_RIBBON).format(percent=ribbon)})
            if film is not None and film < LOW_PERCENT:
                alerts.append({"level": "warning", "text": _(M.LOW_FILM).format(percent=film)})
            if blanks is not None and blanks < LOW_BLANKS:
                alerts.append({"level": "warning", "text": _(M.LOW_BLANKS).format(count=blanks)})
        unresolved = self.agent.journal.unresolved(backend.printer_id)
        open_ids = {event.attempt_id for event in unresolved}
        for event in unresolved + orphans:
            alerts.append(self._unknown_alert(event, _))
        recent = []
        for event in reversed(list(worker.recent) if worker else []):
            outcome = common_pb2.AttemptState.Name(event.state)
            reported = event.attempt_id in self._reported or (
                outcome == "UNKNOWN" and event.attempt_id not in open_ids)
            recent.append({"attempt_id": event.attempt_id, "record_id": event.record_id,
                           "blank_serial": event.blank_serial, "outcome": outcome,
                           "outcome_text": _(M.OUTCOMES.get(outcome, outcome)),
                           "reason": _(M.REASONS[event.reason]) if event.reason in M.REASONS
                           else event.reason, "reported": reported})
        paused = bool(worker and worker.paused)
        if paused:
            alerts.append({"level": "info", "text": _(M.PAUSED)})
        printing = worker.printing if worker else None
        stats = worker.stats.outcomes if worker else {}
        return {
            "id": backend.printer_id, "model": info.model, "transport": info.transport,
            "state": state, "state_text": _(M.STATES.get(state, M.STATES["unknown"])),
            "paused": paused, "alerts": alerts,
            "ribbon_percent": ribbon, "film_percent": film, "blanks": blanks,
            "printing": ({"name": names.get(printing, ""),
                          "record_id": self._record_id(printing)} if printing else None),
            "printed": stats.get("PRINTED", 0), "recent": recent,
            "virtual": self._hands_of(backend) is not None,
        }

    @staticmethod
    def _unknown_alert(event: agent_pb2.JobEvent, _: Callable[[str], str]) -> dict[str, Any]:
        """An outcome nobody knows, with the operator's two answers (ids only: the record id
        and the blank serial tell the operator which card to look for)."""
        restarted = event.reason.startswith("agent stopped")
        text = _(M.UNKNOWN_AFTER_RESTART if restarted else M.UNKNOWN_OUTCOME).format(
            record=event.record_id, serial=event.blank_serial or "–")
        return {"level": "error", "kind": "unknown", "text": text,
                "printer_id": event.printer_id,
                "attempt_id": event.attempt_id, "record_id": event.record_id,
                "blank_serial": event.blank_serial,
                "choices": [{"result": "printed", "label": _(M.LABELS["printed"])},
                            {"result": "not_printed", "label": _(M.LABELS["not_printed"])}]}

    def _names_of(self, lease_ids: list[str], show: bool) -> dict[str, str]:
        """Names of these leases (decrypted once each, kept while the lease is current)."""
        out = {}
        with self._lock:
            for lease_id in lease_ids:
                name = self._names.get(lease_id)
                if name is None:
                    try:
                        name = self.agent.journal.load_record(lease_id).nama
                    except Exception:  # purged meanwhile (finished, revoked): no name to show
                        continue
                    self._names[lease_id] = name
                out[lease_id] = name if show else mask_name(name)
            for stale in set(self._names) - set(lease_ids):
                del self._names[stale]
        return out

    def _record_id(self, lease_id: str) -> str:
        lease = self.agent.journal.lease(lease_id)
        return lease.record_id if lease else ""

    def _worker(self, printer_id: str) -> Any:
        for w in self.agent.workers:
            if w.printer_id == printer_id:
                return w
        return None

    def _hands_of(self, backend: Any) -> Hands | None:
        if backend.printer_id not in self._hands or self._hands[backend.printer_id] is None:
            self._hands[backend.printer_id] = hands_for(backend)
        return self._hands[backend.printer_id]

    # --- write side -------------------------------------------------------------------------

    def act(self, request: dict[str, Any]) -> str:
        """Carry out one operator action; returns the journaled action id. Raises ActionError."""
        action = request.get("action")
        if action not in ACTIONS:
            raise ActionError("unknown_action")
        if getattr(self.agent, "stopping", False):
            raise ActionError("stopping")
        printer_id = request.get("printer_id")
        backend = next((b for b in self.agent.backends if b.printer_id == printer_id), None)
        worker = self._worker(printer_id) if backend is not None else None
        if backend is None or worker is None:
            raise ActionError("unknown_printer")
        detail: dict[str, Any] = {}
        if action == "pause":
            self.agent.call_in_loop(worker.pause)
        elif action == "resume":
            self.agent.call_in_loop(worker.resume)
        elif action == "jam_cleared":
            hands = self._hands_of(backend)
            condition = "card_left" if getattr(worker, "card_left", False) \
                else self._condition(backend)
            if hands is not None:
                self._physically(lambda: (hands.power_on() if condition == "offline"
                                          else hands.clear()))
            detail["condition"] = condition
            if condition == "card_left":
                self.agent.call_in_loop(worker.card_removed)
            self._repoll(backend, worker)
        elif action == "blanks_loaded":
            count = request.get("count")
            if isinstance(count, str) and count.strip().isdigit():
                count = int(count)
            if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 10000:
                raise ActionError("bad_count")
            detail["count"] = count
            for key in ("serial_from", "serial_to"):
                value = str(request.get(key) or "").strip()
                if value and not _SERIAL.match(value):
                    raise ActionError("bad_serial")
                detail[key] = value
            hands = self._hands_of(backend)
            if hands is not None:
                self._physically(lambda: hands.load_blanks(count))
            self._repoll(backend, worker)
        elif action == "unknown_resolved":
            return self._answer_unknown(printer_id, str(request.get("attempt_id") or ""),
                                        request.get("result"))
        else:
            event = self._recent(worker, str(request.get("attempt_id") or ""))
            detail.update(_ids(event))
            if event.state != common_pb2.PRINTED:
                raise ActionError("not_printed_card")
            reason = request.get("reason")
            if reason not in M.SPOIL_REASONS:
                raise ActionError("bad_reason")
            detail["reason"] = reason
            with self._lock:
                self._reported.add(event.attempt_id)
        return self._journal_action(action, printer_id, detail)

    def _answer_unknown(self, printer_id: str, attempt_id: str, result: Any) -> str:
        """Printed / Not printed for an UNKNOWN outcome, asked of the journal (so one the
        agent reported at a restart is answered like any other), answered once."""
        with self._lock:
            if attempt_id in self._reported:
                raise ActionError("already_reported")
        journal = self.agent.journal
        configured = {backend.printer_id for backend in self.agent.backends}
        event = next((e for e in journal.unresolved() if e.attempt_id == attempt_id
                      and (e.printer_id == printer_id or e.printer_id not in configured)), None)
        if event is None:
            known = next((e for e in self._worker(printer_id).recent
                          if e.attempt_id == attempt_id), None)
            if known is None:
                raise ActionError("unknown_card")
            raise ActionError("not_unknown" if known.state != common_pb2.UNKNOWN
                              else "already_reported")
        if result not in ("printed", "not_printed"):
            raise ActionError("bad_request")
        detail = {**_ids(event), "result": result}
        message = self._action("unknown_resolved", event.printer_id, detail)
        if not journal.answer_unresolved(attempt_id, message):
            raise ActionError("already_reported")  # answered meanwhile from another screen
        with self._lock:
            self._reported.add(attempt_id)
        self.agent.wake()
        log.info("operator action unknown_resolved on printer %s (%s)", event.printer_id,
                 message.action_id)
        return message.action_id

    def _recent(self, worker: Any, attempt_id: str) -> agent_pb2.JobEvent:
        with self._lock:
            if attempt_id in self._reported:
                raise ActionError("already_reported")
        for event in worker.recent:
            if event.attempt_id == attempt_id:
                return event
        raise ActionError("unknown_card")

    def _action(self, action: str, printer_id: str,
                detail: dict[str, Any]) -> agent_pb2.OperatorAction:
        return agent_pb2.OperatorAction(
            action_id=str(uuid.uuid4()), action=action, printer_id=printer_id,
            detail=json.dumps(detail, sort_keys=True, separators=(",", ":")),
            occurred_at_ms=self.agent.clock.now_ms())

    def _journal_action(self, action: str, printer_id: str, detail: dict[str, Any]) -> str:
        a = self.agent
        message = self._action(action, printer_id, detail)
        a.journal.record_action(message)
        a.wake()
        log.info("operator action %s on printer %s (%s)", action, printer_id, message.action_id)
        return message.action_id

    def _condition(self, backend: Any) -> str:
        st = self._status_of(backend)
        if st is None:
            return ""
        return "offline" if st.state.value == "offline" else st.condition.name.lower()

    def _physically(self, act: Callable[[], object]) -> None:
        from cetak.printers.errors import PrinterError

        try:
            act()
        except (PrinterError, OSError) as exc:
            raise ActionError("printer_unreachable", error=str(exc)[:200]) from exc

    def _repoll(self, backend: Any, worker: Any) -> None:
        """The operator says the printer is fixed: ask it (unless a card is printing, whose own
        polling keeps the status fresh), then let a printer waiting after a refusal retry."""
        driver = getattr(backend, "driver", None)
        if driver is not None and worker.printing is None:
            driver.status()
        self.agent.call_in_loop(worker.retry_now)


def _ids(event: agent_pb2.JobEvent) -> dict[str, str]:
    """What an action about one card tells the controller: ids, never personal data."""
    return {"attempt_id": event.attempt_id, "lease_id": event.lease_id,
            "record_id": event.record_id, "campaign_id": event.campaign_id,
            "blank_serial": event.blank_serial}


def _last_status(backend: Any) -> Any:
    """The typed status the driver saw last (printers.status.PrinterStatus), or None."""
    if getattr(backend, "last_status", None) is not None:  # a CUPS queue's own
        return backend.last_status
    driver = getattr(backend, "driver", None)
    return getattr(driver, "last_status", None)


def _percent(left: int | None, capacity: int | None) -> int | None:
    if left is None or not capacity:
        return None
    return max(0, min(100, round(100 * left / capacity)))
