"""Site logistics: blanks with serial ranges, ribbons and films; receive, transfer, spoil,
destroy (with its berita acara), and the checks `campaign verify` adds for them.

Units: blanks one by one; ribbons in prints (panel sets) and films in frames. Each blank an
attempt fed takes what its printer's model takes per card (printers.models): a ribbon print
on every printer, a film frame only on a retransfer printer. Movements are the append-only
history (`inventory_movements`); `blank_ranges` is which serial ranges a site holds now
(receipts add ranges, transfers move them). Serials are a fixed prefix and a zero-padded
number ("KTP000123", cetak.serials), so a range "KTP000100".."KTP000199" holds 100 blanks;
every serial fed is checked against its site's ranges (serial_attention).

Every public method is one store transaction (nested ones become savepoints) and is audited
in it; refusals are `InventoryError` (a LedgerError: FAILED_PRECONDITION at the API).
"""

from __future__ import annotations

import bisect
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cetak import serials
from cetak.printers.models import UNKNOWN_PRINTER, CardConsumables, consumables_per_card
from cetak.serials import SerialRange

from .ledger import Ledger, LedgerError
from .model import InventoryMovement, SiteBlanks
from .signatory import Signatory, SignatoryError, from_text, signatory

ITEMS = ("blank", "ribbon", "film")
MIN_WITNESSES = 2


class InventoryError(LedgerError):
    """An inventory request was refused; the message says why."""


class UnknownSite(InventoryError):
    """A movement names a site code that is no kelurahan and no campaign's site (a typo would
    otherwise make a phantom site that holds stock and shows in every plan)."""


def parse_serial(serial: str) -> tuple[str, int, int]:
    """(prefix, number, width) of a serial; InventoryError when it has no trailing digits."""
    try:
        return serials.parse_serial(serial)
    except serials.SerialError as exc:
        raise InventoryError(str(exc)) from None


def parse_range(serial_from: str, serial_to: str = "") -> SerialRange:
    try:
        return serials.parse_range(serial_from, serial_to)
    except serials.SerialError as exc:
        raise InventoryError(str(exc)) from None


def parse_serial_list(items: list[str]) -> list[str]:
    """Serials from "A" and "A-B" items (a range needs both ends in one series), in order."""
    out: list[str] = []
    for item in items:
        item = item.strip()
        if not item:
            continue
        try:
            r = serials.parse_range_text(item)
        except serials.SerialError as exc:
            raise InventoryError(str(exc)) from None
        if r.count > 1_000_000:
            raise InventoryError(f"serial range {item}: more than a million blanks")
        out.extend(r.serial(n) for n in range(r.first, r.last + 1))
    return out


def subtract(ranges: list[SerialRange], cut: SerialRange) -> list[SerialRange]:
    """`ranges` without the serials of `cut` (which must lie inside one of them)."""
    out = []
    for r in ranges:
        if not r.overlaps(cut):
            out.append(r)
            continue
        if r.first < cut.first:
            out.append(SerialRange(r.prefix, r.first, cut.first - 1, r.width))
        if cut.last < r.last:
            out.append(SerialRange(r.prefix, cut.last + 1, r.last, r.width))
    return sorted(out)


def merge(ranges: list[SerialRange]) -> list[SerialRange]:
    """Adjacent ranges of one series joined (what a site holds reads as few ranges)."""
    out: list[SerialRange] = []
    for r in sorted(ranges):
        if out and out[-1].prefix == r.prefix and out[-1].width == r.width \
                and out[-1].last + 1 >= r.first:
            last = out[-1]
            out[-1] = SerialRange(last.prefix, last.first, max(last.last, r.last), last.width)
        else:
            out.append(r)
    return out


@dataclass
class SiteStock:
    site_code: str
    blanks: SiteBlanks
    ribbons_received: int = 0
    ribbons_in_stock: int = 0
    films_received: int = 0
    films_in_stock: int = 0
    ranges: list[SerialRange] = field(default_factory=list)
    awaiting_destruction: int = 0
    attention: list[str] = field(default_factory=list)   # serial_attention's items
    stock_ranges: list[SerialRange] = field(default_factory=list)  # ranges less blanks used


def _movement(site: str, item: str, kind: str, quantity: int, now_ms: int, *,
              r: SerialRange | None = None, reference: str = "",
              counterpart: str = "", movement_id: str = "") -> InventoryMovement:
    return InventoryMovement(
        movement_id=movement_id or uuid.uuid4().hex, site_code=site, item=item, kind=kind,
        quantity=quantity,
        serial_from=r.serial_from if r else "", serial_to=r.serial_to if r else "",
        reference=reference, counterpart_site=counterpart, at_ms=now_ms)


def held_ranges(store, site_code: str) -> list[SerialRange]:
    return [SerialRange(p, a, b, w) for _, p, a, b, w, _ in store.blank_ranges(site_code)]


def spoil_movement_serials(store, site_code: str) -> list[str]:
    """Serials named by blanks spoiled outside printing at a site."""
    out: list[str] = []
    for m in store.movements(site_code):
        if m.item == "blank" and m.kind == "spoil" and m.serial_from:
            r = parse_range(m.serial_from, m.serial_to)
            out.extend(r.serial(n) for n in range(r.first, r.last + 1))
    return out


def _item_balance(movements: list[InventoryMovement], item: str) -> tuple[int, int]:
    """(delivered, delivered - out - spoiled - destroyed + adjusted) before consumption.
    Delivered counts receipts and transfers in alike (as blanks_received does): stock that
    reached a site only by a transfer is the site's stock all the same."""
    delivered = on_hand = 0
    for m in movements:
        if m.item != item:
            continue
        if m.kind in ("receive", "transfer_in"):
            delivered += m.quantity
            on_hand += m.quantity
        elif m.kind == "adjust":
            on_hand += m.quantity
        elif m.kind in ("transfer_out", "spoil", "destroy"):
            on_hand -= m.quantity
    return delivered, on_hand


def _joined(a: CardConsumables, b: CardConsumables) -> CardConsumables:
    return CardConsumables(max(a.ribbon_prints, b.ribbon_prints),
                           max(a.film_frames, b.film_frames))


def printer_yields(store) -> tuple[dict[tuple[str, str], CardConsumables],
                                   dict[str, CardConsumables], dict[str, CardConsumables]]:
    """What one card takes on each printer (agent_id, printer_id), on any printer of an agent,
    and on any printer of a site, from the model each reported (printers.models). Where
    printers of several kinds could have fed a card, the most it could have taken."""
    per_printer: dict[tuple[str, str], CardConsumables] = {}
    per_agent: dict[str, CardConsumables] = {}
    per_site: dict[str, CardConsumables] = {}
    for p in store.printers():
        flag = p.get("retransfer")
        c = consumables_per_card(p.get("model") or "", None if flag is None else bool(flag))
        per_printer[(p["agent_id"], p["printer_id"])] = c
        for table, key in ((per_agent, p["agent_id"]), (per_site, p["site_code"])):
            table[key] = _joined(table[key], c) if key in table else c
    return per_printer, per_agent, per_site


def consumables_used(store, site_code: str = "") -> dict[str, tuple[int, int]]:
    """(ribbon prints, film frames) used per site: every blank an attempt fed, at the yields
    of the printer that fed it (a direct-to-card printer uses no film). A card whose printer
    is not known is charged as on any printer of its agent; an agent of unknown printers,
    ribbon and film both."""
    per_printer, per_agent, _ = printer_yields(store)
    used: dict[str, tuple[int, int]] = {}
    for site, agent, printer, n in store.blanks_fed_by_printer(site_code):
        c = per_printer.get((agent, printer)) or per_agent.get(agent, UNKNOWN_PRINTER)
        ribbon, film = used.get(site, (0, 0))
        used[site] = (ribbon + n * c.ribbon_prints, film + n * c.film_frames)
    return used


def site_stock(store, site_code: str,
               used: dict[str, tuple[int, int]] | None = None) -> SiteStock:
    """A site's stock; `used` is consumables_used(store) when many sites are read at once
    (one scan of the attempts for all of them)."""
    blanks = store.site_blanks(site_code)
    movements = store.movements(site_code)
    if used is None:
        used = consumables_used(store, site_code)
    ribbons_used, films_used = used.get(site_code, (0, 0))
    s = SiteStock(site_code=site_code, blanks=blanks, ranges=held_ranges(store, site_code),
                  awaiting_destruction=blanks.spoiled - blanks.destroyed)
    s.ribbons_received, on_hand = _item_balance(movements, "ribbon")
    s.ribbons_in_stock = on_hand - ribbons_used
    s.films_received, on_hand = _item_balance(movements, "film")
    s.films_in_stock = on_hand - films_used
    return s


def site_stocks(store, site_codes: list[str]) -> list[SiteStock]:
    """The stock of these sites with their serial attention items (each read once)."""
    used = consumables_used(store)
    uses = SerialUses.read(store)
    attention = serial_attention(store, site_codes, uses)
    out = []
    for code in site_codes:
        s = site_stock(store, code, used)
        s.attention = attention.get(code, [])
        s.stock_ranges = without(s.ranges, uses.at(code))
        out.append(s)
    return out


class Inventory:
    """Logistics on top of the ledger's movements (which keep the blank-count checks)."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.store = ledger.store

    # -- reading -----------------------------------------------------------------------------

    def ranges(self, site_code: str) -> list[SerialRange]:
        return held_ranges(self.store, site_code)

    def stock(self, site_code: str) -> SiteStock:
        return site_stock(self.store, site_code)

    def sites(self) -> list[str]:
        return self.store.inventory_sites()

    def record(self, m: InventoryMovement) -> InventoryMovement:
        """One movement from the API's RecordInventory: receipts and spoils here (serial
        ranges are kept); transfers and destructions have their own calls, which keep both
        halves of a transfer, and the destruction record, in one transaction."""
        if m.kind == "receive":
            return self.receive(m.site_code, m.item, m.quantity, m.at_ms,
                                serial_from=m.serial_from, serial_to=m.serial_to,
                                reference=m.reference, movement_id=m.movement_id)
        if m.kind == "spoil":
            return self.spoil(m.site_code, m.item, m.quantity, m.at_ms,
                              serial_from=m.serial_from, serial_to=m.serial_to,
                              reason=m.reference, movement_id=m.movement_id)
        if m.kind in ("transfer_out", "transfer_in"):
            raise InventoryError("a transfer is recorded with TransferInventory (both sites "
                                 "in one transaction)")
        if m.kind == "destroy":
            raise InventoryError("a destruction is recorded with DestroyBlanks (it needs its "
                                 "berita acara)")
        with self.store.transaction():
            self.check_site(m.site_code)
            return self.ledger.record_inventory(m)

    # -- sites -------------------------------------------------------------------------------

    def check_site(self, site_code: str) -> None:
        """UnknownSite unless `site_code` is a kelurahan of the region table, a registered
        site, a site already holding stock, or the site of a campaign's records."""
        from cetak.prr.regions import load_regions

        table = load_regions()
        if table.has_kelurahan(site_code) or site_code in self.store.inventory_sites():
            return
        if any(site == site_code for c in self.store.list_campaigns()
               for site, _state, _n in self.store.record_counts(c.campaign_id)):
            return
        hint = ""
        kecamatan = site_code.rsplit(".", 1)[0]
        under = table.kelurahan_under(kecamatan + ".") if site_code.count(".") == 3 else []
        if under:
            hint = (f" (kecamatan {kecamatan} {under[0].kecamatan} has {under[0].code} .. "
                    f"{under[-1].code})")
        raise UnknownSite(
            f"site {site_code!r} is no kelurahan in the region table (kode wilayah "
            f"Kemendagri) and no campaign has a site of that code{hint}; nothing was "
            "recorded. Use the kelurahan code PP.RR.SS.NNNN as in the PRR file's "
            "kelurahan_kode column (`cetak plan CAMPAIGN` lists a campaign's sites), or "
            "register a site that is not a kelurahan (e.g. the Dinas office) first "
            "(UpsertSite)")

    # -- receive -----------------------------------------------------------------------------

    def receive(self, site_code: str, item: str, quantity: int, now_ms: int, *,
                serial_from: str = "", serial_to: str = "", reference: str = "",
                movement_id: str = "") -> InventoryMovement:
        _check_item(item)
        r = _range_for(item, quantity, serial_from, serial_to)
        quantity = r.count if r else quantity
        with self.store.transaction():
            self.check_site(site_code)
            if r is not None:
                self._refuse_overlap(r)
            movement = self.ledger.record_inventory(_movement(
                site_code, item, "receive", quantity, now_ms, r=r, reference=reference,
                movement_id=movement_id))
            if r is not None:
                self._set_ranges(site_code, self.ranges(site_code) + [r], movement.movement_id)
        return movement

    def _refuse_overlap(self, r: SerialRange) -> None:
        for site, p, a, b, w, _ in self.store.blank_ranges():
            held = SerialRange(p, a, b, w)
            if held.overlaps(r):
                raise InventoryError(f"serials {r} overlap blanks already at site {site} "
                                     f"({held})")

    def _set_ranges(self, site_code: str, ranges: list[SerialRange], movement_id: str) -> None:
        self.store.set_blank_ranges(site_code, [(r.prefix, r.first, r.last, r.width,
                                                 movement_id) for r in merge(ranges)])

    # -- transfer ----------------------------------------------------------------------------

    def transfer(self, from_site: str, to_site: str, item: str, quantity: int, now_ms: int, *,
                 serial_from: str = "", serial_to: str = "",
                 reference: str = "") -> tuple[InventoryMovement, InventoryMovement]:
        """transfer_out at one site and transfer_in at the other, in one transaction."""
        _check_item(item)
        if not from_site or not to_site:
            raise InventoryError("a transfer needs both sites")
        if from_site == to_site:
            raise InventoryError("source and destination site are the same")
        r = _range_for(item, quantity, serial_from, serial_to)
        quantity = r.count if r else quantity
        reference = reference or f"TRF-{uuid.uuid4().hex[:10].upper()}"
        with self.store.transaction():
            self.check_site(to_site)
            if item != "blank":
                have = getattr(self.stock(from_site), f"{item}s_in_stock")
                if quantity > have:
                    raise InventoryError(f"site {from_site} has {have} {item} units, "
                                         f"not {quantity}")
            source_ranges = self.ranges(from_site)
            if r is not None:
                if not any(held.contains(r) for held in source_ranges):
                    raise InventoryError(f"site {from_site} does not hold serials {r}")
                used = self._used_in(from_site, r)
                if used:
                    raise InventoryError(f"serials {r} include {len(used)} blanks already used "
                                         f"or spoiled at site {from_site} (e.g. {used[0]})")
            out = self.ledger.record_inventory(_movement(
                from_site, item, "transfer_out", quantity, now_ms, r=r, reference=reference,
                counterpart=to_site))
            into = self.ledger.record_inventory(_movement(
                to_site, item, "transfer_in", quantity, now_ms, r=r, reference=reference,
                counterpart=from_site))
            if r is not None:
                self._set_ranges(from_site, subtract(source_ranges, r), out.movement_id)
                self._set_ranges(to_site, self.ranges(to_site) + [r], into.movement_id)
        return out, into

    def _used_in(self, site_code: str, r: SerialRange) -> list[str]:
        used = []
        for serial in self.store.used_serials(site_code) + spoil_movement_serials(
                self.store, site_code):
            try:
                p, n, w = parse_serial(serial)
            except InventoryError:
                continue  # a printer-made serial outside any series: not in the range
            if p == r.prefix and w == r.width and r.first <= n <= r.last:
                used.append(serial)
        return sorted(used)

    # -- spoil -------------------------------------------------------------------------------

    def spoil(self, site_code: str, item: str, quantity: int, now_ms: int, *,
              serial_from: str = "", serial_to: str = "", reason: str = "",
              movement_id: str = "") -> InventoryMovement:
        """Blanks (or ribbon/film units) damaged outside printing; spoiled blanks await
        destruction like those spoiled by a printer."""
        _check_item(item)
        if not reason.strip():
            raise InventoryError("a spoil needs a reason (e.g. damaged in transport)")
        r = _range_for(item, quantity, serial_from, serial_to)
        quantity = r.count if r else quantity
        with self.store.transaction():
            self.store.try_lock(f"grant:{site_code}", wait=True)
            if item == "blank":
                blanks = self.store.site_blanks(site_code)
                leased = self.ledger._leased_at(site_code)
                if quantity > blanks.in_stock - leased:
                    raise InventoryError(f"site {site_code} has {blanks.in_stock - leased} "
                                         f"unreserved blanks, not {quantity}")
                if r is not None:
                    if not any(held.contains(r) for held in self.ranges(site_code)):
                        raise InventoryError(f"site {site_code} does not hold serials {r}")
                    used = self._used_in(site_code, r)
                    if used:
                        raise InventoryError(f"serials {r} include {len(used)} blanks already "
                                             f"used or spoiled (e.g. {used[0]})")
            else:
                have = getattr(self.stock(site_code), f"{item}s_in_stock")
                if quantity > have:
                    raise InventoryError(f"site {site_code} has {have} {item} units, "
                                         f"not {quantity}")
            movement = self.ledger.record_inventory(_movement(
                site_code, item, "spoil", quantity, now_ms, r=r, reference=reason.strip(),
                movement_id=movement_id))
        return movement

    # -- destroy -----------------------------------------------------------------------------

    def awaiting_destruction(self, site_code: str) -> list[str]:
        """Known serials of spoiled blanks at a site not yet on a destruction record."""
        destroyed = {s for d in self.store.destruction_records(site_code) for s in d["serials"]}
        spoiled = (self.store.spoiled_serials(site_code)
                   + spoil_movement_serials(self.store, site_code))
        return sorted(set(spoiled) - destroyed)

    def destroy(self, site_code: str, *, serials: list[str], quantity: int, place: str,
                witnesses: Sequence[str | dict], officers: Sequence[dict], method: str,
                created_by: str, destroyed_ms: int, now_ms: int) -> dict:
        """Destroy spoiled blanks and write the berita acara; returns the record (a dict with
        number, site_code, place, destroyed_ms, count, serials, witnesses (one line each),
        officers and witness_signatories (dicts name, nip, position), method, created_by
        (the certificate that asked), movement_id, created_ms).

        Officers are given as dicts with a name and a NIP; witnesses as such dicts (the NIP
        optional: a witness need not be a civil servant) or as "NAME, POSITION" text."""
        place = place.strip()
        if not site_code:
            raise InventoryError("site_code: required")
        if not place:
            raise InventoryError("place: where the blanks were destroyed is required")
        witness_people, officer_people = _signatories(witnesses, officers)
        if len(witness_people) < MIN_WITNESSES:
            raise InventoryError(f"a destruction record needs at least {MIN_WITNESSES} "
                                 "witnesses")
        if not officer_people:
            raise InventoryError("a destruction record names the officer who destroyed the "
                                 "blanks: name and NIP")
        witnesses = [w.line() for w in witness_people]
        wanted = parse_serial_list(serials)
        if len(set(wanted)) != len(wanted):
            raise InventoryError("a serial is listed twice")
        if wanted and quantity and quantity != len(wanted):
            raise InventoryError(f"quantity {quantity} but {len(wanted)} serials listed")
        with self.store.transaction():
            self.store.try_lock(f"grant:{site_code}", wait=True)
            pending = self.awaiting_destruction(site_code)
            if wanted:
                pending_set = set(pending)
                foreign = [s for s in wanted if s not in pending_set]
                if foreign:
                    raise InventoryError(
                        f"{len(foreign)} serials are not spoiled blanks of site {site_code} "
                        f"awaiting destruction (e.g. {foreign[0]})")
                chosen = wanted
            else:
                if quantity <= 0:
                    raise InventoryError("give the serials or a positive quantity")
                # The known serials first; beyond them the record says how many had none.
                chosen = pending[:quantity]
            count = len(wanted) if wanted else quantity
            year = datetime.fromtimestamp(destroyed_ms / 1000, UTC).year
            self.store.try_lock("destruction-number", wait=True)
            prefix = f"BAP/{year}/"
            number = f"{prefix}{self.store.count_destruction_records(prefix) + 1:05d}"
            movement = self.ledger.record_inventory(_movement(
                site_code, "blank", "destroy", count, now_ms, reference=number))
            record = dict(number=number, site_code=site_code, place=place,
                          destroyed_ms=destroyed_ms, count=count, serials=chosen,
                          witnesses=witnesses, method=method.strip(), created_by=created_by,
                          movement_id=movement.movement_id, created_ms=now_ms,
                          officers=[o.to_dict() for o in officer_people],
                          witness_signatories=[w.to_dict() for w in witness_people])
            self.store.add_destruction_record(record)
            self.ledger.audit(created_by, "inventory.destruction_record", number=number,
                              site_code=site_code, count=count, place=place,
                              witnesses=witnesses,
                              officers=[o.line() for o in officer_people],
                              serials=len(chosen))
        return record


def _signatories(witnesses: Sequence[str | dict],
                 officers: Sequence[dict]) -> tuple[list[Signatory], list[Signatory]]:
    """Checked (witnesses, officers); InventoryError naming the one in a wrong form."""
    try:
        people = [from_text(w, f"witness {i}") if isinstance(w, str) else
                  signatory(w.get("name", ""), w.get("nip", ""), w.get("position", ""),
                            who=f"witness {i}")
                  for i, w in enumerate(witnesses, 1)
                  if (w.strip() if isinstance(w, str) else any(w.values()))]
        chiefs = [signatory(o.get("name", ""), o.get("nip", ""), o.get("position", ""),
                            who=f"officer {i}", nip_required=True)
                  for i, o in enumerate(officers, 1)]
    except SignatoryError as exc:
        raise InventoryError(str(exc)) from exc
    return people, chiefs


def _check_item(item: str) -> None:
    if item not in ITEMS:
        raise InventoryError(f"item: expected blank, ribbon or film, got {item!r}")


def _range_for(item: str, quantity: int, serial_from: str,
               serial_to: str) -> SerialRange | None:
    if not serial_from and not serial_to:
        if quantity <= 0:
            raise InventoryError("quantity must be positive")
        return None
    if item != "blank":
        raise InventoryError("serial ranges are for blanks only")
    r = parse_range(serial_from or serial_to, serial_to)
    if quantity and quantity != r.count:
        raise InventoryError(f"quantity {quantity} but serials {r} are {r.count} blanks")
    return r


MAX_NAMED_SERIALS = 20


def _named(serials: list[str]) -> str:
    """Serials for a person: consecutive ones of a series as one range, the first
    MAX_NAMED_SERIALS of them."""
    singles: list[SerialRange] = []
    odd: list[str] = []
    for serial in serials:
        try:
            p, n, w = parse_serial(serial)
        except InventoryError:
            odd.append(serial)
            continue
        singles.append(SerialRange(p, n, n, w))
    parts = [str(r) for r in merge(singles)] + sorted(odd)
    text = ", ".join(parts[:MAX_NAMED_SERIALS])
    if len(parts) > MAX_NAMED_SERIALS:
        text += f" (+{len(parts) - MAX_NAMED_SERIALS} more)"
    return text


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _inside(serial: str, ranges: list[SerialRange]) -> bool:
    try:
        p, n, w = parse_serial(serial)
    except InventoryError:
        return False  # no series at all: in no range
    return any(r.prefix == p and r.width == w and r.first <= n <= r.last for r in ranges)


def _all_blanks_came_with_serials(movements: list[InventoryMovement]) -> bool:
    deliveries = [m for m in movements
                  if m.item == "blank" and m.kind in ("receive", "transfer_in")]
    return bool(deliveries) and all(m.serial_from for m in deliveries)


@dataclass
class SerialUses:
    """Every blank serial used, read once: fed by an attempt, or spoiled outside printing."""

    fed_at: dict[str, list[str]] = field(default_factory=dict)      # site -> serials fed
    spoiled_at: dict[str, list[str]] = field(default_factory=dict)  # site -> spoil movements

    @classmethod
    def read(cls, store) -> SerialUses:
        uses = cls()
        for site, serial in store.used_serials_by_site():
            uses.fed_at.setdefault(site, []).append(serial)
        for site in store.inventory_sites():
            spoiled = spoil_movement_serials(store, site)
            if spoiled:
                uses.spoiled_at[site] = spoiled
        return uses

    def at(self, site_code: str) -> list[str]:
        return self.fed_at.get(site_code, []) + self.spoiled_at.get(site_code, [])


def without(ranges: list[SerialRange], serials_used: list[str]) -> list[SerialRange]:
    """`ranges` less the serials in `serials_used` (serials outside them change nothing): the
    blanks of a site's ranges still in stock."""
    numbers: dict[tuple[str, int], list[int]] = {}
    for serial in serials_used:
        try:
            p, n, w = parse_serial(serial)
        except InventoryError:
            continue
        numbers.setdefault((p, w), []).append(n)
    series = {key: sorted(set(ns)) for key, ns in numbers.items()}
    out: list[SerialRange] = []
    for r in ranges:
        used = series.get((r.prefix, r.width), [])
        start = r.first
        for n in used[bisect.bisect_left(used, r.first):bisect.bisect_right(used, r.last)]:
            if n > start:
                out.append(SerialRange(r.prefix, start, n - 1, r.width))
            start = n + 1
        if start <= r.last:
            out.append(SerialRange(r.prefix, start, r.last, r.width))
    return out


def serial_attention(store, site_codes: list[str] | None = None,
                     uses: SerialUses | None = None) -> dict[str, list[str]]:
    """Attention items per site, naming the serials: blanks fed at a site outside the serial
    ranges it holds (never received there, or sent away; checked where every blank delivered
    to the site came with its serials), and serials fed or spoiled more than once, anywhere.
    Not violations of the counts, but each needs a person to look at the blanks."""
    uses = uses or SerialUses.read(store)
    fed_at = uses.fed_at
    used: dict[str, list[str]] = {}
    for table in (uses.fed_at, uses.spoiled_at):
        for site, serials_used in table.items():
            for serial in serials_used:
                used.setdefault(serial, []).append(site)
    twice_at: dict[str, list[str]] = {}
    for serial, sites in used.items():
        if len(sites) > 1:
            for site in set(sites):
                twice_at.setdefault(site, []).append(serial)
    out: dict[str, list[str]] = {}
    for site in store.inventory_sites() if site_codes is None else site_codes:
        items = []
        fed = fed_at.get(site, [])
        if fed and _all_blanks_came_with_serials(store.movements(site)):
            ranges = held_ranges(store, site)
            outside = [s for s in fed if not _inside(s, ranges)]
            if outside:
                items.append(f"{_count(len(outside), 'blank')} fed at site {site} outside "
                             f"the serial ranges it received: {_named(outside)}; check the "
                             "blanks in its printers against the delivery notes")
        twice = sorted(twice_at.get(site, []))
        if twice:
            others = sorted({o for s in twice for o in used[s]} - {site})
            where = f" (also at {', '.join(others)})" if others else ""
            items.append(f"{_count(len(twice), 'blank serial')} used more than once at site "
                         f"{site}{where}: {_named(twice)}; one card per blank: find which "
                         "record each went to")
        if items:
            out[site] = items
    return out


def verify_inventory(store) -> list[tuple[str, str, str]]:
    """(invariant, site, detail) for every inventory rule a store breaks: destroyed serials
    that were never spoiled there, one serial held by two ranges, ribbons or films used
    beyond what a site had."""
    problems: list[tuple[str, str, str]] = []
    held: list[tuple[str, SerialRange]] = [
        (site, SerialRange(p, a, b, w)) for site, p, a, b, w, _ in store.blank_ranges()]
    held.sort(key=lambda x: x[1])
    for (site_a, a), (site_b, b) in zip(held, held[1:], strict=False):
        if a.overlaps(b):
            problems.append(("serial_held_once", site_b,
                             f"serials {b} overlap {a} at site {site_a}"))
    used = consumables_used(store)
    for site in store.inventory_sites():
        records = store.destruction_records(site)
        if records:
            spoiled = set(store.spoiled_serials(site)) | set(
                spoil_movement_serials(store, site))
            destroyed = [s for d in records for s in d["serials"]]
            foreign = [s for s in destroyed if s not in spoiled]
            if foreign:
                problems.append(("destroyed_subset_of_spoiled", site,
                                 f"{len(foreign)} destroyed serials were never spoiled there "
                                 f"(e.g. {foreign[0]})"))
            if len(set(destroyed)) != len(destroyed):
                problems.append(("destroyed_once", site, "a serial destroyed twice"))
        stock = site_stock(store, site, used)
        for item in ("ribbon", "film"):
            received = getattr(stock, f"{item}s_received")
            if received and getattr(stock, f"{item}s_in_stock") < 0:
                problems.append((f"{item}_conservation", site,
                                 f"more {item} units used than the site had"))
    return problems
