"""The production PrinterBackend: card renderer + dialect job builder + printer driver.

Built from one `[[printers]]` entry: a transport (cetak.printers.transports), the dialect (from the
configuration, else from the printer's IEEE 1284 device id), the model (configuration, device
id, or the dialect's default) and, with `contactless`, a chip encoder plus the document signer.
Heavy and optional imports (Pillow, the native core, pyusb, pyscard) happen here, lazily, so the
agent's core imports without them. Their errors are translated into ours at this boundary.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Sequence
from typing import Any

from cetak.agent.backend import CardOutcome, OnFed, PreparedCard, attempt_state
from cetak.agent.config import AgentConfig, PrinterConfig
from cetak.agent.errors import ConfigError, PrintingError
from cetak.api.v1 import common_pb2

log = logging.getLogger(__name__)


class DriverBackend:
    """One printer driven by `cetak.printers.driver.PrinterDriver`."""

    def __init__(self, printer: PrinterConfig, driver: Any, dialect: Any, model: Any, *,
                 encoder: Any = None, signer: Any = None) -> None:
        from cetak.native import JobOptions

        self.printer_id = printer.id
        self.config = printer
        self.driver = driver
        self.dialect = dialect
        self.model = model
        self.encoder = encoder
        self.signer = signer
        self.options = JobOptions(contactless=encoder is not None)

    def info(self) -> common_pb2.PrinterInfo:
        m = self.model
        return common_pb2.PrinterInfo(
            printer_id=self.printer_id, dialect=self.dialect.name, model=m.name,
            serial=self.config.serial or "", cards_per_hour=m.cards_per_hour, duplex=m.duplex,
            retransfer=m.retransfer, contactless=self.encoder is not None,
            transport=self.config.transport)

    def prepare(self, record: common_pb2.CardRecord) -> PreparedCard:
        from cetak.card import render_card

        if not record.issue_date:
            # The card is issued the day it is printed, at the site (the host's local date).
            stamped = common_pb2.CardRecord()
            stamped.CopyFrom(record)
            stamped.issue_date = datetime.date.today().isoformat()
            record = stamped
        rendered = render_card(record)
        job = self.dialect.build_job(rendered, self.options)
        chip = None
        if self.encoder is not None:
            from cetak.card.chip import build_chip_data

            chip = build_chip_data(record, self.signer)
        return PreparedCard(job=job, chip_data=chip, record_id=record.record_id)

    def status(self, *, query: bool) -> common_pb2.PrinterStatus | None:
        """The printer's state and consumables: asked of the printer when `query`, else the
        last status the driver saw (free: no conversation with the printer)."""
        st = self.driver.status() if query else self.driver.last_status
        if st is None:
            return None
        return st.to_proto(self.printer_id, int(time.time() * 1000))

    def card_inside(self) -> bool:
        """The printer, asked now, holds a card or is busy (no card of ours is printing when
        the pipeline asks): a card left by an agent that stopped mid-card, say."""
        from cetak.printers.status import Position, State

        st = self.driver.status()
        return st.state is State.BUSY or (st.state is State.READY
                                          and st.position is not Position.NONE)

    def print_card(self, card: PreparedCard, on_fed: OnFed) -> CardOutcome:
        out = self.driver.print_card(card.job, card.chip_data, self.encoder, on_fed,
                                     record_id=card.record_id)
        return CardOutcome(attempt_state(out.state), out.reason or "", out.blank_serial or "")

    def close(self) -> None:
        self.driver.close()
        close = getattr(self.encoder, "close", None)
        if close is not None:
            close()


def build_backends(config: AgentConfig) -> Sequence[Any]:
    """One backend per configured printer (DriverBackend, or CupsBackend for a CUPS queue);
    errors name the printer's configuration key."""
    signer = None
    if any(p.contactless for p in config.printers):
        signer = _load_signer(config)
    return [_build(i, p, signer) for i, p in enumerate(config.printers)]


def _build(index: int, p: PrinterConfig, signer: Any) -> Any:
    if p.backend == "cups":
        from cetak.agent.cups_backend import build_cups_backend

        return build_cups_backend(index, p)
    return _build_direct(index, p, signer)


def _load_signer(config: AgentConfig) -> Any:
    from cetak.card.chip import load_signer
    from cetak.card.errors import CardError

    assert config.signer is not None  # the configuration requires it with contactless
    try:
        return load_signer(config.signer.key, config.signer.cert)
    except CardError as exc:
        raise ConfigError("signer", str(exc)) from exc


def _build_direct(index: int, p: PrinterConfig, signer: Any) -> DriverBackend:
    from cetak.printers.dialects import get_dialect
    from cetak.printers.driver import PrinterDriver
    from cetak.printers.errors import PrinterError
    from cetak.printers.models import default_model, get_model
    from cetak.printers.transports import make_transport

    key = f"printers[{index}]"
    try:
        transport = make_transport(p.transport, address=p.address, vendor=p.vendor,
                                   product=p.product, serial=p.serial)
    except ValueError as exc:
        raise ConfigError(f"{key}.transport", str(exc)) from exc
    device_id = ""
    if p.dialect is None or p.model is None:
        device_id = _device_id(transport)
    try:
        dialect_name = p.dialect or _dialect_from(device_id, key)
        dialect = get_dialect(dialect_name)
    except PrinterError as exc:
        raise ConfigError(f"{key}.dialect", str(exc)) from exc
    try:
        if p.model:
            model = get_model(p.model)
        else:
            from cetak.printers.models import model_for_device_id
            model = model_for_device_id(device_id) if device_id else default_model(dialect_name)
    except PrinterError as exc:
        raise ConfigError(f"{key}.model", str(exc)) from exc
    encoder = _encoder(p, transport, key) if p.contactless else None
    driver = PrinterDriver(transport, dialect)
    log.info("printer %s: %s over %s (%s)", p.id, model.name, transport.describe(),
             "with chip encoding" if encoder is not None else "no chip")
    return DriverBackend(p, driver, dialect, model, encoder=encoder, signer=signer)


def _device_id(transport: Any) -> str:
    """The IEEE 1284 id, where the transport can tell it (USB printer class, virtual)."""
    from cetak.printers.transports.errors import TransportError

    try:
        if hasattr(transport, "device_id"):
            transport.open()
            return str(transport.device_id())
        if getattr(transport, "kind", "") == "virtual":
            transport.open()
            return str(transport.printer.device_id)
    except TransportError as exc:
        log.warning("cannot read the device id of %s: %s", transport.describe(), exc)
    return ""


def _dialect_from(device_id: str, key: str) -> str:
    from cetak.printers.models import dialect_for_device_id

    if not device_id:
        raise ConfigError(f"{key}.dialect", "missing, and the printer did not report an IEEE "
                                            "1284 device id (set evolis or magicard)")
    return dialect_for_device_id(device_id)


def _encoder(p: PrinterConfig, transport: Any, key: str) -> Any:
    station = p.contactless or ""
    if station == "virtual":
        if getattr(transport, "kind", "") != "virtual":
            raise ConfigError(f"{key}.contactless", '"virtual" needs transport = "virtual"')
        from cetak.printers.transports.errors import TransportError

        try:
            return transport.chip_encoder
        except TransportError as exc:
            raise PrintingError(f"{key}: {exc}") from exc
    if station == "pcsc" or station.startswith("pcsc:"):
        from cetak.card.encoder import PcscEncoder

        reader = station.partition(":")[2] or None
        return PcscEncoder(reader)
    from cetak.printers.virtual.service import TcpChipEncoder

    return TcpChipEncoder(station)
