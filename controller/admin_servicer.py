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
from .inventory import Inventory, site_stock
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
                     site_code: str = "") -> None:
        if not self.limiter.allow(_caller(context)):
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED,
                                f"too many requests: at most {self.limiter.rate:g} per second "
                                "per caller; try again shortly")
        if self.authorize is not None:
            await self.authorize(context, method, site_code)

    async def _run(self, context: grpc.aio.ServicerContext, fn, *args):
        try:
            return await self.worker.call(fn, *args)
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
        campaign = Campaign(campaign_id=c.campaign_id, name=c.name or c.campaign_id,
                            deadline_ms=c.deadline_ms, budget_baru=c.budget_baru,
                            budget_penggantian=c.budget_penggantian, created_ms=now_ms())
        await self._run(context, self.ledger.create_campaign, campaign)
        return admin_pb2.Campaign(campaign_id=campaign.campaign_id, name=campaign.name,
                                  deadline_ms=campaign.deadline_ms,
                                  budget_baru=campaign.budget_baru,
                                  budget_penggantian=campaign.budget_penggantian,
                                  created_ms=campaign.created_ms)

    async def ListCampaigns(self, request, context):
        await self._allow(context, "ListCampaigns")
        campaigns = await self._run(context, self.ledger.store.list_campaigns)
        return admin_pb2.ListCampaignsResponse(campaigns=[admin_pb2.Campaign(
            campaign_id=c.campaign_id, name=c.name, deadline_ms=c.deadline_ms,
            budget_baru=c.budget_baru, budget_penggantian=c.budget_penggantian,
            created_ms=c.created_ms) for c in campaigns])

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
                        suffix = {"csv": ".csv", "jsonl": ".jsonl", "zip": ".zip"}.get(
                            header.format)
                        if suffix is None:
                            await context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                                                "format: expected csv, jsonl or zip")
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
        view = await self._run(context, campaign_status, self.ledger.store,
                               request.campaign_id, now_ms())
        return status_to_pb(view)

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
        await self._allow(context, "UpsertSite", request.site_code)
        if not request.site_code:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "site_code: required")
        calendar = [dict(weekday=h.weekday, start_minute=h.start_minute,
                         end_minute=h.end_minute) for h in request.hours]
        await self._run(context, self.ledger.store.upsert_site, request.site_code,
                        request.name or request.site_code, request.kecamatan, calendar,
                        request.overtime_cap_minutes, request.timezone or "Asia/Jakarta")
        return request

    async def ListSites(self, request, context):
        await self._allow(context, "ListSites")
        sites = await self._run(context, self.ledger.store.list_sites)
        return admin_pb2.ListSitesResponse(sites=[admin_pb2.Site(
            site_code=s["site_code"], name=s["name"], kecamatan=s["kecamatan"],
            overtime_cap_minutes=s["overtime_cap_minutes"], timezone=s["timezone"],
            hours=[admin_pb2.WorkingHours(**h) for h in s["calendar"]]) for s in sites])

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
            return [serde.site_inventory_to_pb(site_stock(store, code)) for code in sites]

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
        await self._allow(context, "ListHeld", request.site_code)
        views = await self._run(context, self.ledger.store.held_records, request.campaign_id,
                                request.site_code)
        return admin_pb2.ListHeldResponse(records=[serde.record_to_pb(v) for v in views])

    async def ResolveAttempt(self, request, context):
        await self._allow(context, "ResolveAttempt")
        outcome = _RESOLUTIONS.get(request.resolution)
        if outcome is None:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                                "resolution: expected printed, spoiled or not fed")
        view, why = await self._run(context, self._explained, self.ledger.resolve,
                                    request.attempt_id, outcome, request.evidence, now_ms())
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
                place=request.place, witnesses=list(request.witnesses), method=request.method,
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
