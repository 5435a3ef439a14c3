"""A printer behind a CUPS (IPP) queue, as the pipeline's PrinterBackend (`backend = "cups"`).

Beside DriverBackend (cetak drives the printer) and behind the same contract. Two modes:
  * raw: cetak's own Evolis/Magicard stream is the document; CUPS only spools it.
  * driver: the rendered card as a CR80 PDF (front and back); the vendor's CUPS driver makes the
    printer stream (HID Fargo, Zebra, Magicard/Gutenprint, Evolis; docs/cups.md).

Exactly-once: the attempt id (journaled before print_card) names the job; the job id is
journaled through on_fed.spooled the moment the spooler names it; "processing began" is the
feed (on_fed). cetak.printers.cups.queue turns what the spooler says into the outcome. After a
restart the runner calls `settle` for attempts left open, which finds the job and follows it.
"""

from __future__ import annotations

import datetime
import logging
import threading
from typing import Any

from cetak.agent.backend import CardOutcome, OnFed, PreparedCard, spooled_hook
from cetak.agent.config import PrinterConfig
from cetak.agent.errors import ConfigError
from cetak.api.v1 import common_pb2
from cetak.printers.cups.ipp import job_options

log = logging.getLogger(__name__)

RAW_FORMAT = "application/vnd.cups-raw"
DRIVER_FORMAT = "application/pdf"


class CupsBackend:
    """One CUPS queue."""

    def __init__(self, printer: PrinterConfig, queue: Any, dialect: Any, model: Any) -> None:
        from cetak.native import JobOptions

        self.printer_id = printer.id
        self.config = printer
        self.queue = queue            # cetak.printers.cups.queue.CupsQueue
        self.dialect = dialect        # raw mode only
        self.model = model
        self.options = JobOptions()
        self.document_format = printer.document_format or (
            RAW_FORMAT if printer.mode == "raw" else DRIVER_FORMAT)
        self.last_status: Any = None  # printers.status.PrinterStatus, for the console
        self._lock = threading.Lock()  # one conversation about this queue at a time

    def info(self) -> common_pb2.PrinterInfo:
        m = self.model
        return common_pb2.PrinterInfo(
            printer_id=self.printer_id,
            dialect=self.dialect.name if self.dialect is not None else "cups-driver",
            model=m.name if m is not None else "cups", serial="",
            cards_per_hour=m.cards_per_hour if m is not None else 0,
            duplex=bool(m and m.duplex), retransfer=bool(m and m.retransfer),
            contactless=False, transport=f"cups {self.config.mode}")

    def prepare(self, record: common_pb2.CardRecord) -> PreparedCard:
        from cetak.card import render_card

        if not record.issue_date:
            stamped = common_pb2.CardRecord()
            stamped.CopyFrom(record)
            stamped.issue_date = datetime.date.today().isoformat()
            record = stamped
        rendered = render_card(record)
        if self.dialect is not None:
            job = self.dialect.build_job(rendered, self.options)
            return PreparedCard(job=job, record_id=record.record_id)
        from cetak.printers.cups.document import card_document

        return PreparedCard(job=None, record_id=record.record_id,
                            document=card_document(rendered, self.document_format))

    def _document(self, card: PreparedCard) -> bytes:
        if card.document is not None:
            return card.document
        return bytes(card.job.data)

    def status(self, *, query: bool) -> common_pb2.PrinterStatus | None:
        import time

        if query:
            with self._lock:
                self.last_status = self.queue.status()
        st = self.last_status
        if st is None:
            return None
        return st.to_proto(self.printer_id, int(time.time() * 1000))

    def print_card(self, card: PreparedCard, on_fed: OnFed) -> CardOutcome:
        if not card.attempt_id:
            # Without a name the job could not be found after a restart: refuse, unsent.
            return CardOutcome(common_pb2.FAILED_BEFORE_CARD, "no attempt id for the job name")
        spooled = spooled_hook(on_fed)
        job_ids: list[int] = []
        fed: list[str] = []

        def submitted(job_id: int) -> None:
            job_ids.append(job_id)
            spooled(str(job_id))

        def processing() -> None:
            fed.append(self._blank(job_ids[-1] if job_ids else None))
            on_fed(fed[-1])

        with self._lock:
            out = self.queue.print_document(
                card.attempt_id, self._document(card), self.document_format,
                job_options(dict(self.config.options)), on_submitted=submitted,
                on_processing=processing)
            self.last_status = self.queue.last.to_status() if self.queue.last else None
        return CardOutcome(out.state, out.reason, fed[-1] if fed else "")

    def _blank(self, job_id: int | None) -> str:
        # A spooler cannot name the blank: the queue and its job stand for it.
        name = (self.config.queue or "cups").rstrip("/").rsplit("/", 1)[-1]
        return f"{name}#job{job_id if job_id is not None else 0}"

    def settle(self, attempt_id: str, spool_job: str, fed: bool) -> CardOutcome:
        """The outcome of an attempt an earlier run left open: its job, found by the journaled
        id or by name, followed to its end (bounded by the queue's timeouts)."""
        job_id = int(spool_job) if spool_job.isdigit() else None
        with self._lock:
            out = self.queue.settle(attempt_id, job_id)
        blank = self._blank(out.job_id) if out.processed else ""
        log.info("printer %s: attempt %s settled from the spooler: %s %s", self.printer_id,
                 attempt_id, common_pb2.AttemptState.Name(out.state), out.reason)
        return CardOutcome(out.state, out.reason, blank)

    def close(self) -> None:
        with self._lock:
            self.queue.client.close()


def build_cups_backend(index: int, p: PrinterConfig) -> CupsBackend:
    from cetak.printers.cups.ipp import IppClient
    from cetak.printers.cups.queue import CupsQueue
    from cetak.printers.dialects import get_dialect
    from cetak.printers.errors import PrinterError
    from cetak.printers.models import default_model, get_model

    key = f"printers[{index}]"
    assert p.queue is not None  # the configuration requires it with backend = "cups"
    try:
        # One kept connection: a spooler restarted between two polls drops it (queue.py).
        client = IppClient(p.queue, user=p.user, keep_alive=True)
    except ValueError as exc:
        raise ConfigError(f"{key}.queue", str(exc)) from exc
    dialect = None
    if p.mode == "raw":
        try:
            dialect = get_dialect(p.dialect or "")
        except PrinterError as exc:
            raise ConfigError(f"{key}.dialect", str(exc)) from exc
    model = None
    try:
        if p.model:
            model = get_model(p.model)
        elif dialect is not None:
            model = default_model(dialect.name)
    except PrinterError as exc:
        raise ConfigError(f"{key}.model", str(exc)) from exc
    queue = CupsQueue(client, trusted=p.trusted, pending_timeout=p.pending_timeout_s,
                      job_timeout=p.job_timeout_s, poll_interval=p.poll_s)
    log.info("printer %s: CUPS queue %s (%s mode, %s)", p.id, p.queue, p.mode,
             "trusted" if p.trusted else "completions confirmed by an operator")
    return CupsBackend(p, queue, dialect, model)
