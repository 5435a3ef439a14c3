"""AdminService: campaigns, import, progress, sites, printers, inventory, lookup, resolutions.

Servicers only translate: messages in, ledger/store calls through the StoreWorker, messages
out; domain errors become status codes.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import grpc

from cetak.api.v1 import admin_pb2, admin_pb2_grpc, common_pb2

from . import serde
from .blockers import explain_records
from .inventory import Inventory, UnknownSite, site_stocks
from .ledger import Ledger, LedgerError
from .model import AttemptState, Campaign
from .ratelimit import RateLimiter
from .status import CampaignStatusView, campaign_status
from .store.errors import StoreError
from .store.worker import StoreWorker

log = logging.getLogger(__name__)

MAX_IMPORT_BYTES = 4 * 1024**3

# (context, method name, site the call is about or "") -> None; aborts when not allowed
AdminAuthorizer = Callable[[grpc.aio.ServicerContext, str, str], "asyncio.Future | None"]

_RESOLUTIONS = {
    admin_pb2.RESOLVED_PRINTED: AttemptState.PRINTED,
    admin_pb2.RESOLVED_SPOILED: AttemptState.SPOILED,
    admin_pb2.RESOLVED_NOT_FED: AttemptState.FAILED_BEFORE_CARD,
}


def now_ms() -> int:
    return int(time.time() * 1000)


def status_to_pb(v: CampaignStatusView) -> admin_pb2.CampaignStatus:
    return admin_pb2.CampaignStatus(
        campaign_id=v.campaign_id, records=v.records, queued=v.queued, leased=v.leased,
        printed=v.printed, spoiled=v.spoiled, held=v.held, unknown=v.unknown,
        rejected=v.rejected, cancelled=v.cancelled, deadline_ms=v.deadline_ms, eta_ms=v.eta_ms,
        will_miss_deadline=v.will_miss_deadline, as_of_ms=v.as_of_ms,
        reasons=serde.queue_reasons_to_pb(v.reasons), cannot_print=v.cannot_print,
        budgets=[serde.category_budget_to_pb(b) for b in v.budgets], on_track=v.on_track,
        sites=[admin_pb2.SiteProgress(
            site_code=s.site_code, site_name=s.site_name, queued=s.queued, leased=s.leased,
            printed=s.printed, spoiled=s.spoiled, held=s.held, unknown=s.unknown,
            eta_ms=s.eta_ms, will_miss_deadline=s.will_miss_deadline, late_by_ms=s.late_by_ms,
            cards_per_hour=s.cards_per_hour, reasons=serde.queue_reasons_to_pb(s.reasons),
            blanks_available=s.blanks_available) for s in v.sites])


def _caller(context: grpc.aio.ServicerContext) -> str:
    """Who is asking, for rate limiting: the verified certificate, else the peer address."""
    auth = context.auth_context() or {}
    pem = auth.get("x509_pem_cert")
    if pem:
        return "cert:" + hashlib.sha256(pem[0]).hexdigest()
    return "peer:" + (context.peer() or "").rsplit(":", 1)[0]


class AdminServicer(admin_pb2_grpc.AdminServiceServicer):
    def __init__(self, ledger: Ledger, worker: StoreWorker, *,
                 authorize: Callable | None = None, agent_sessions: dict | None = None,
                 limiter: RateLimiter | None = None) -> None:
        self.limiter = limiter or RateLimiter()
        self.ledger = ledger
        self.worker = worker
        self.authorize = authorize
        self.agent_sessions = agent_sessions if agent_sessions is not None else {}
        self.inventory = Inventory(ledger)

    async def _allow(self, context: grpc.aio.ServicerContext, method: str,
                     site_code: str = ""):  # noqa: ANN202 - the verified Identity, or None
        """Rate-limit and authorize; the caller's verified identity (None in plaintext)."""
        if not self.limiter.allow(_caller(context)):
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED,
                                f"too many requests: at most {self.limiter.rate:g} per second "
                                "per caller; try again shortly")
        if self.authorize is not None:
            return await self.authorize(context, method, site_code)
        return None

    async def _run(self, context: grpc.aio.ServicerContext, fn, *args):
        try:
            return await self.worker.call(fn, *args)
        except UnknownSite as exc:  # the request names a site that does not exist
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        except (LedgerError, StoreError) as exc:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(exc))
        except serde.BadMessage as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))

    # -- campaigns -----------------------------------------------------------------------

    async def CreateCampaign(self, request, context):
        await self._allow(context, "CreateCampaign")
        c = request.campaign
        if not c.campaign_id:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "campaign_id: required")
        await self._refuse_past(context, c.deadline_ms, request.allow_past)
        campaign = Campaign(campaign_id=c.campaign_id, name=c.name or c.campaign_id,
                            deadline_ms=c.deadline_ms, budget_baru=c.budget_baru,
                            budget_penggantian=c.budget_penggantian, created_ms=now_ms())
        await self._run(context, self.ledger.create_campaign, campaign)
        return serde.campaign_to_pb(campaign)

    async def _refuse_past(self, context: grpc.aio.ServicerContext, deadline_ms: int,
                           allow_past: bool) -> None:
        """A deadline already past is almost always a typing error (the year, the month):
        refused unless the caller says it means it."""
        if deadline_ms and deadline_ms <= now_ms() and not allow_past:
            from cetak.timefmt import campaign_zone, format_ms

            sites = await self._run(context, self.ledger.store.list_sites)
            zone = campaign_zone(s["timezone"] for s in sites)
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                                f"deadline {format_ms(deadline_ms, zone)} is already past; "
                                "give a later one, or allow it (--allow-past)")

    async def UpdateCampaign(self, request, context):
        actor = await self._caller(context, "UpdateCampaign")
        if not request.campaign_id:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "campaign_id: required")
        fields = {name: getattr(request, name) for name in
                  ("name", "deadline_ms", "budget_baru", "budget_penggantian")
                  if request.HasField(name)}
        if fields.get("deadline_ms"):
            await self._refuse_past(context, fields["deadline_ms"], request.allow_past)
        campaign = await self._run(context, lambda: self.ledger.update_campaign(
            request.campaign_id, actor, **fields))
        return serde.campaign_to_pb(campaign)

    async def CancelCampaign(self, request, context):
        actor = await self._caller(context, "CancelCampaign")
        campaign, n = await self._run(context, self.ledger.cancel_campaign,
                                      request.campaign_id, request.reason, actor, now_ms())
        return admin_pb2.CancelCampaignResponse(campaign=serde.campaign_to_pb(campaign),
                                                records_cancelled=n)

    async def ListCampaigns(self, request, context):
        await self._allow(context, "ListCampaigns")
        campaigns = await self._run(context, self.ledger.store.list_campaigns)
        return admin_pb2.ListCampaignsResponse(
            campaigns=[serde.campaign_to_pb(c) for c in campaigns])

    async def ImportRecords(self, request_iterator: AsyncIterator[admin_pb2.ImportChunk],
                            context):
        header = None
        size = 0
        with tempfile.TemporaryDirectory(prefix="cetak-import-") as tmp:
            target: Path | None = None
            handle = None
            try:
                async for chunk in request_iterator:
                    kind = chunk.WhichOneof("body")
                    if kind == "header":
                        if header is not None:
                            await context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                                                "import: more than one header")
                        header = chunk.header
                        await self._allow(context, "ImportRecords")
                        suffix = {"csv": ".csv", "jsonl": ".jsonl", "xlsx": ".xlsx",
                                  "zip": ".zip"}.get(header.format)
                        if suffix is None:
                            await context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                                                "format: expected csv, jsonl, xlsx or zip")
                        target = Path(tmp) / f"import{suffix}"
                        handle = target.open("wb")
                    elif kind == "data":
                        if handle is None:
                            await context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                                                "import: the header must come first")
                        size += len(chunk.data)
                        if size > MAX_IMPORT_BYTES:
                            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED,
                                                "import: file too large")
                        handle.write(chunk.data)
            finally:
                if handle is not None:
                    handle.close()
            if header is None or target is None:
                await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "import: no header")
            from .import_prepare import WorkerFailed
            from .importer import ImportRefused, import_or_report

            try:
                result = await self.worker.call(import_or_report, self.ledger, header.campaign_id,
                                                target, header.skip_invalid, now_ms())
            except ImportRefused as exc:
                await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
            except (LedgerError, StoreError) as exc:
                await context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(exc))
            except WorkerFailed as exc:  # nothing was imported; the log has the worker's frames
                await context.abort(grpc.StatusCode.INTERNAL, str(exc))
        return admin_pb2.ImportResult(
            valid=result.valid, invalid=result.invalid, imported=result.imported,
            held=result.held, errors=[admin_pb2.RecordError(line=e.line, field=e.field,
                                                            reason=e.reason)
                                      for e in result.errors[:1000]])

    # -- progress ------------------------------------------------------------------------

    async def GetStatus(self, request, context):
        await self._allow(context, "GetStatus")
        store = self.ledger.store

        def read():
            with store.transaction():
                return (campaign_status(store, request.campaign_id, now_ms()),
                        store.get_campaign(request.campaign_id))

        view, campaign = await self._run(context, read)
        status = status_to_pb(view)
        if campaign is not None and campaign.cancelled_ms:
            status.cancelled_ms = campaign.cancelled_ms
            status.cancel_reason = campaign.cancel_reason
        return status

    async def WatchProgress(self, request, context):
        await self._allow(context, "WatchProgress")
        interval = max(request.interval_ms, 200) / 1000
        while True:
            view = await self._run(context, campaign_status, self.ledger.store,
                                   request.campaign_id, now_ms())
            yield status_to_pb(view)
            await asyncio.sleep(interval)

    # -- sites and printers ----------------------------------------------------------------

    async def UpsertSite(self, request, context):
        """Register a site or replace what is known of it (the CLI's `site add` and `site set`
        send the whole site). Checked against the region table before anything is written."""
        from .sites import SiteInvalid, complete

        identity = await self._allow(context, "UpsertSite", request.site_code)
        actor = getattr(identity, "actor", None) or "plaintext:unidentified"
        try:
            # Off the event loop: the first check reads the region table (a few tens of ms).
            site = await asyncio.to_thread(complete, serde.site_from_pb(request))
        except SiteInvalid as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        saved, _created = await self._run(context, self.ledger.upsert_site, site, actor)
        return serde.site_to_pb(saved)

    async def ListSites(self, request, context):
        from .sites import Site

        await self._allow(context, "ListSites")
        sites = await self._run(context, self.ledger.store.list_sites)
        return admin_pb2.ListSitesResponse(
            sites=[serde.site_to_pb(Site.from_store(s)) for s in sites])

    async def ListPrinters(self, request, context):
        await self._allow(context, "ListPrinters", request.site_code)
        rows = await self._run(context, self.ledger.store.printers, request.site_code)
        out = []
        for r in rows:
            status = common_pb2.PrinterStatus.FromString(r["status"]) if r["status"] else None
            out.append(admin_pb2.PrinterRecord(
                agent_id=r["agent_id"], site_code=r["site_code"],
                info=common_pb2.PrinterInfo.FromString(r["info"]), status=status,
                agent_connected=bool(r["connected"])))
        return admin_pb2.ListPrintersResponse(printers=out)

    # -- inventory -------------------------------------------------------------------------

    async def RecordInventory(self, request, context):
        await self._allow(context, "RecordInventory", request.site_code)
        try:
            movement = serde.movement_from_pb(request, uuid.uuid4().hex, now_ms())
        except serde.BadMessage as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        saved = await self._run(context, self.inventory.record, movement)
        return serde.movement_to_pb(saved)

    async def GetInventory(self, request, context):
        await self._allow(context, "GetInventory", request.site_code)
        store = self.ledger.store

        def collect():
            sites = [request.site_code] if request.site_code else store.inventory_sites()
            return [serde.site_inventory_to_pb(s) for s in site_stocks(store, sites)]

        return admin_pb2.InventoryResponse(sites=await self._run(context, collect))

    # -- records -------------------------------------------------------------------------------

    async def LookupRecord(self, request, context):
        await self._allow(context, "LookupRecord")
        if not (len(request.nik) == 16 and request.nik.isdigit()):
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "nik: expected 16 digits")
        store = self.ledger.store

        def lookup():
            views = self.ledger.lookup(request.nik, request.campaign_id)
            return list(zip(views, explain_records(store, views), strict=True))

        found = await self._run(context, lookup)
        return admin_pb2.LookupRecordResponse(records=[serde.record_to_pb(v, why)
                                                       for v, why in found])

    async def ListHeld(self, request, context):
        from cetak.security.policy import Action, allowed

        identity = await self._allow(context, "ListHeld", request.site_code)
        store = self.ledger.store

        def read():
            with store.transaction():
                views = store.held_records(request.campaign_id, request.site_code)
                return views, store.person_groups([v.record_id for v in views])

        views, groups = await self._run(context, read)
        details = []
        def masked(site_code: str) -> bool:
            # Names, NIKs and birth dates only for the roles the permission table lets see
            # them at that record's site; everyone else gets their shape. A plaintext
            # controller (--insecure, no identities) lets every caller act as an admin.
            return identity is not None and not allowed(identity, Action.PERSONAL_DATA_READ,
                                                        site_code)

        for v in views:
            people = {rid: serde.held_person(rid, campaign, site, state, payload, masked(site))
                      for rid, campaign, site, state, payload in groups.get(v.record_id, [])}
            person = people.pop(v.record_id, admin_pb2.HeldPerson(
                record_id=v.record_id, campaign_id=v.campaign_id, site_code=v.site_code))
            details.append(admin_pb2.HeldDetail(
                record_id=v.record_id, person=person, others=list(people.values()),
                masked=masked(v.site_code) or any(masked(o.site_code) for o in people.values())))
        return admin_pb2.ListHeldResponse(records=[serde.record_to_pb(v) for v in views],
                                          details=details)

    async def ListAuditEntries(self, request, context):
        from .audit import AuditFilter, find_entries

        await self._allow(context, "ListAuditEntries", request.site_code)
        if request.allowed_only and request.refused_only:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                                "allowed_only and refused_only: give one of them")
        store = self.ledger.store

        def read():
            ids: set[str] = set()
            if request.record_id:
                ids.add(request.record_id)
                for a in store.attempts_of_record(request.record_id):
                    ids.update(i for i in (a.lease_id, a.attempt_id) if i)
            return find_entries(store, AuditFilter(
                since_ms=request.since_ms, until_ms=request.until_ms, actor=request.actor,
                action=request.action, site_code=request.site_code, ids=frozenset(ids),
                allowed=True if request.allowed_only else False if request.refused_only
                else None, limit=request.limit or 1000))

        entries, truncated = await self._run(context, read)
        return admin_pb2.ListAuditResponse(entries=[admin_pb2.AuditEntry(
            seq=e.seq, at_ms=e.at_ms, actor=e.actor, action=e.action, allowed=e.allowed,
            detail_json=e.detail, hash=e.hash) for e in entries], truncated=truncated)

    async def ResolveAttempt(self, request, context):
        await self._allow(context, "ResolveAttempt")
        outcome = _RESOLUTIONS.get(request.resolution)
        if outcome is None:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                                "resolution: expected printed, spoiled or not fed")
        view, why = await self._run(context, self._explained, self.ledger.resolve,
                                    request.attempt_id, outcome, request.evidence, now_ms(),
                                    request.blank_serial)
        return admin_pb2.ResolveAttemptResponse(record=serde.record_to_pb(view, why))

    def _explained(self, change, *args):
        """(the record `change` returns, why it is where it is now), in the worker."""
        view = change(*args)
        return view, explain_records(self.ledger.store, [view])[0]

    async def MoveRecords(self, request, context):
        await self._allow(context, "MoveRecords")
        moved = await self._run(context, self.ledger.move_records, request.campaign_id,
                                request.from_site, request.to_site, list(request.record_ids))
        return admin_pb2.MoveRecordsResponse(moved=moved)

    async def ReleaseAgent(self, request, context):
        await self._allow(context, "ReleaseAgent")
        if request.agent_id in self.agent_sessions:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION,
                                "agent is connected: it is not dead")
        released = await self._run(context, self.ledger.release_agent, request.agent_id,
                                   now_ms())
        return admin_pb2.ReleaseAgentResponse(released=released)

    # -- campaign operations -------------------------------------------------------------------

    async def _caller(self, context: grpc.aio.ServicerContext, method: str,
                      site_code: str = "") -> str:
        """Authorize like _allow, and name the caller for records that say who did it."""
        identity = None
        if self.authorize is not None:
            identity = await self.authorize(context, method, site_code)
        return getattr(identity, "actor", None) or "plaintext:unidentified"

    async def TransferInventory(self, request, context):
        await self._allow(context, "TransferInventory", request.from_site)
        out, into = await self._run(
            context, lambda: self.inventory.transfer(
                request.from_site, request.to_site, request.item, request.quantity, now_ms(),
                serial_from=request.serial_from, serial_to=request.serial_to,
                reference=request.reference))
        return admin_pb2.TransferResponse(transfer_out=serde.movement_to_pb(out),
                                          transfer_in=serde.movement_to_pb(into))

    async def DestroyBlanks(self, request, context):
        actor = await self._caller(context, "DestroyBlanks", request.site_code)
        now = now_ms()
        record = await self._run(
            context, lambda: self.inventory.destroy(
                request.site_code, serials=list(request.serials), quantity=request.quantity,
                place=request.place, method=request.method,
                witnesses=([serde.signatory_from_pb(w) for w in request.witness_signatories]
                           or list(request.witnesses)),
                officers=[serde.signatory_from_pb(o) for o in request.officers],
                created_by=actor, destroyed_ms=request.destroyed_at_ms or now, now_ms=now))
        return serde.destruction_to_pb(record)

    async def ListDestructionRecords(self, request, context):
        await self._allow(context, "ListDestructionRecords", request.site_code)
        rows = await self._run(context, self.ledger.store.destruction_records,
                               request.site_code, request.number)
        return admin_pb2.ListDestructionRecordsResponse(
            records=[serde.destruction_to_pb(r) for r in rows])

    async def AdjudicateRecord(self, request, context):
        from .adjudication import adjudicate

        actor = await self._caller(context, "AdjudicateRecord")
        view, why = await self._run(context, self._explained, adjudicate, self.ledger,
                                    request.record_id, request.release, request.reason, actor)
        return admin_pb2.AdjudicateResponse(record=serde.record_to_pb(view, why))

    async def PlanCampaign(self, request, context):
        from .planner import DEFAULT_SPOIL_ALLOWANCE, gather, plan

        await self._allow(context, "PlanCampaign")
        allowance = request.spoil_allowance or DEFAULT_SPOIL_ALLOWANCE
        if not 0 <= allowance < 1:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                                "spoil_allowance: expected a fraction in [0, 1)")

        def build():
            with self.ledger.store.transaction():
                return plan(gather(self.ledger.store, request.campaign_id, now_ms(), allowance))

        return serde.plan_to_pb(await self._run(context, build))
