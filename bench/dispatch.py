"""Controller dispatch benchmark: complete lease cycles per second over real gRPC.

    python bench/dispatch.py [--store URL] [--replicas N] [--printers 200] [--jobs 30000] --json
    -> {"printers", "jobs", "jobs_per_s", "grpc_baseline_per_s", "ratio", "duplicates",
        "lost", "store", ...}

Targets (issues): SQLite >= 5,000 jobs/s and ratio >= 0.4; PostgreSQL with 2 replicas on a
2-core machine >= 3,000 jobs/s and ratio >= 0.25; 0 duplicates, 0 lost, always.

What runs, each in its own process:
- N controllers: `cetak controller serve --insecure` on the store (SQLite file: N must be 1;
  PostgreSQL: a fresh schema in the given database, dropped at the end);
- W load workers, each driving its share of the virtual printers with asyncio: one agent
  stream per printer, agent k connected to controller k mod N (agents of one site are spread
  over the replicas, as behind a load balancer). A virtual printer is instant: on each Lease
  it reports PRINTING and PRINTED at once; a job counts when the PRINTED event is acked (the
  controller committed it durably). Like the real agent, it says `batches` in Hello: leases
  granted together come in one LeaseBatch, and the events of the cards it printed go back in
  one EventBatch. Credit keeps `--inflight` leases outstanding per printer
  (default 16: a real agent prefetches hours of printing; 4 measures mostly round-trip
  latency, since every cycle waits for a durable group commit).
- The baseline: a bare gRPC bidirectional echo server, driven by the same workers over the
  same number of streams with the same in-flight window; one baseline "job" is one round trip
  of a message the size of a JobEvent. A dispatch job is a lease, two events, an ack and
  credit, carried in fewer messages than jobs when they travel in batches; each message is
  larger than the echo's, and every job is a durable commit, which the echo has none of.

Timing starts when every stream is connected (hello/welcome done) and ends with the last ack.
Afterwards the store is checked: `duplicates` = records with more than one printed attempt
plus records an agent was handed twice; `lost` = records not printed. `--quick` is a small run
for CI (correctness only; no timing claims). stdout carries only the JSON with --json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

log = logging.getLogger("bench.dispatch")

ECHO_METHOD = "/bench.Echo/Chat"
CAMPAIGN = "bench"


def _site(i: int) -> str:
    return f"32.76.{i // 100:02d}.{2000 + i % 100:04d}"


# -- the load worker (one process, many streams) --------------------------------------------------

async def _echo_stream(port: int, rounds: int, inflight: int, payload: bytes,
                       go: asyncio.Event) -> None:
    import grpc

    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        call = channel.stream_stream(ECHO_METHOD)()
        await go.wait()
        sent = received = 0
        while sent < min(inflight, rounds):
            await call.write(payload)
            sent += 1
        while received < rounds:
            reply = await call.read()
            if reply is grpc.aio.EOF:
                raise RuntimeError("echo server closed the stream")
            received += 1
            if sent < rounds:
                await call.write(payload)
                sent += 1
        await call.done_writing()


class VirtualPrinter:
    """One agent with one instant printer on one stream."""

    def __init__(self, agent_id: str, site: str, port: int, inflight: int) -> None:
        self.agent_id = agent_id
        self.site = site
        self.port = port
        self.inflight = inflight
        self.leased: list[str] = []
        self.printed = 0
        self.outstanding = 0
        self.credit_view = 0
        self.welcomed = asyncio.Event()

    async def run(self, go: asyncio.Event, site_done: SiteProgress) -> None:
        import grpc

        from cetak.api.v1 import agent_pb2, agent_pb2_grpc, common_pb2

        async with grpc.aio.insecure_channel(f"127.0.0.1:{self.port}") as channel:
            # Written straight to the call (no request iterator and queue in between): the
            # client shares the controller's cores, so every microsecond it spends is counted.
            call = agent_pb2_grpc.AgentServiceStub(channel).Connect()
            await call.write(agent_pb2.AgentMessage(hello=agent_pb2.Hello(
                agent_id=self.agent_id, site_code=self.site, software_version="bench",
                printers=[common_pb2.PrinterInfo(printer_id="p1", cards_per_hour=36_000)],
                batches=True)))

            async def start_and_end() -> None:
                # Cancelling a pending read would cancel the RPC: reads are never timed out;
                # this task sends the first credit on "go" (nothing else writes before the
                # first lease) and ends the stream when all is printed.
                await self.welcomed.wait()
                await go.wait()
                await self._credit(call, force=True)
                await site_done.all_printed.wait()
                call.cancel()

            control = asyncio.create_task(start_and_end())
            try:
                await self._read(call, site_done)
            except asyncio.CancelledError:
                if not site_done.finished():
                    raise
            finally:
                control.cancel()

    async def _credit(self, call, force: bool = False) -> None:
        """Ask for the free window, in steps of half of it: fewer messages, still no stall."""
        from cetak.api.v1 import agent_pb2

        wanted = max(0, self.inflight - self.outstanding)
        if wanted > self.credit_view and (
                force or wanted - self.credit_view >= max(1, self.inflight // 2)):
            await call.write(agent_pb2.AgentMessage(credit=agent_pb2.Credit(slots=wanted)))
            self.credit_view = wanted

    async def _read(self, call, site_done) -> None:
        import grpc

        from cetak.api.v1 import agent_pb2, common_pb2

        printed_events: set[str] = set()
        AgentMessage, JobEvent = agent_pb2.AgentMessage, agent_pb2.JobEvent
        EventBatch = agent_pb2.EventBatch
        PRINTING, PRINTED = common_pb2.PRINTING, common_pb2.PRINTED
        prefix = f"{self.agent_id}-"
        n = 0
        batches = False
        while True:
            m = await call.read()
            if m is grpc.aio.EOF:
                raise RuntimeError(f"{self.agent_id}: controller closed the stream: "
                                   f"{await call.code()} {await call.details()}")
            kind = m.WhichOneof("body")
            if kind in ("lease", "leases"):
                # The printer is instant: every card of the message is printed at once, and,
                # like the agent's writer, whatever events are pending go in one message
                # when the controller reads batches.
                events = []
                for lease in [m.lease] if kind == "lease" else m.leases.leases:
                    record_id = lease.record_id
                    self.leased.append(record_id)
                    self.outstanding += 1
                    self.credit_view = max(0, self.credit_view - 1)
                    # Event ids unique per agent (a counter, not uuid4: cheaper, same
                    # guarantee).
                    n += 2
                    serial = f"B{record_id[-8:]}"
                    printed_id = f"{prefix}{n}"
                    printed_events.add(printed_id)
                    events += [
                        JobEvent(event_id=f"{prefix}{n - 1}", lease_id=lease.lease_id,
                                 epoch=lease.epoch, record_id=record_id, state=PRINTING,
                                 attempt_id=lease.lease_id, printer_id="p1",
                                 blank_serial=serial),
                        JobEvent(event_id=printed_id, lease_id=lease.lease_id,
                                 epoch=lease.epoch, record_id=record_id, state=PRINTED,
                                 attempt_id=lease.lease_id, printer_id="p1",
                                 blank_serial=serial)]
                if batches:
                    await call.write(AgentMessage(events=EventBatch(events=events)))
                else:
                    for e in events:
                        await call.write(AgentMessage(event=e))
            elif kind == "ack":
                for a in m.ack.events:
                    if a.event_id in printed_events:
                        printed_events.discard(a.event_id)
                        self.printed += 1
                        self.outstanding -= 1
                        site_done.printed(self.site)
                await self._credit(call, force=self.outstanding == 0)
            elif kind == "welcome":
                batches = m.welcome.batches
                self.welcomed.set()
                self.inflight = max(1, min(self.inflight, m.welcome.window))


class SiteProgress:
    """How many records of this worker's sites are printed; all done ends every stream."""

    def __init__(self, per_site: dict[str, int]) -> None:
        self.left = sum(per_site.values())
        self.done_at = 0.0
        self.all_printed = asyncio.Event()

    def printed(self, site: str) -> None:
        self.left -= 1
        if self.left == 0:
            self.done_at = time.time()
            self.all_printed.set()

    def finished(self) -> bool:
        return self.left <= 0


async def _worker_main(spec: dict[str, Any]) -> dict[str, Any]:
    go = asyncio.Event()

    async def wait_go() -> None:
        reader = asyncio.StreamReader()
        loop = asyncio.get_running_loop()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        await reader.readline()
        go.set()

    def ready() -> None:
        print(json.dumps({"ready": True}), flush=True)

    if spec["mode"] == "echo":
        payload = b"x" * spec["payload_bytes"]
        tasks = [asyncio.create_task(_echo_stream(spec["port"], spec["rounds"],
                                                  spec["inflight"], payload, go))
                 for _ in range(spec["streams"])]
        await asyncio.sleep(0.5)  # channels connect lazily; give them a moment
        ready()
        await wait_go()
        start = time.time()
        await asyncio.gather(*tasks)
        return {"start": start, "end": time.time(),
                "jobs": spec["rounds"] * spec["streams"]}

    progress = SiteProgress(spec["per_site"])
    printers = [VirtualPrinter(a["agent_id"], a["site"], a["port"], spec["inflight"])
                for a in spec["agents"]]
    tasks = [asyncio.create_task(p.run(go, progress)) for p in printers]
    async with asyncio.timeout(60):
        for p in printers:
            await p.welcomed.wait()
    ready()
    await wait_go()
    start = time.time()
    cpu_at_go = time.process_time()
    try:
        async with asyncio.timeout(spec["timeout_s"]):
            await asyncio.gather(*tasks)
    except TimeoutError:
        log.error("worker timed out with %d records left", progress.left)
        for t in tasks:
            t.cancel()
    leased = [rid for p in printers for rid in p.leased]
    return {"start": start, "end": progress.done_at or time.time(),
            "jobs": sum(p.printed for p in printers), "leased": leased,
            "cpu_s": time.process_time() - cpu_at_go}


def worker_entry(spec_json: str) -> int:
    spec = json.loads(spec_json)
    result = asyncio.run(_worker_main(spec))
    print(json.dumps(result), flush=True)
    return 0


# -- the echo server ------------------------------------------------------------------------------

def echo_entry(port_file: str) -> int:
    import grpc

    async def chat(request_iterator, context):
        async for message in request_iterator:
            yield message

    async def main() -> None:
        server = grpc.aio.server()
        handler = grpc.method_handlers_generic_handler("bench.Echo", {
            "Chat": grpc.stream_stream_rpc_method_handler(chat)})
        server.add_generic_rpc_handlers((handler,))
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        Path(port_file).write_text(str(port))
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()
        await server.stop(1)

    asyncio.run(main())
    return 0


# -- the orchestrator -----------------------------------------------------------------------------

class Child:
    """A child process; stop() always reaps it."""

    def __init__(self, argv: list[str], logfile: Path | None = None, pipe: bool = False,
                 env: dict[str, str] | None = None) -> None:
        self.logfile = logfile.open("ab") if logfile else None
        self.popen = subprocess.Popen(
            argv, stdin=subprocess.PIPE if pipe else subprocess.DEVNULL,
            stdout=subprocess.PIPE if pipe else self.logfile,
            stderr=self.logfile if self.logfile else None, text=pipe,
            env={**os.environ, **(env or {})})

    def stop(self, timeout: float = 20.0) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(10)
        if self.logfile:
            self.logfile.close()


def _wait_port(path: Path, child: Child, timeout: float = 60.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return int(path.read_text())
        if child.popen.poll() is not None:
            raise RuntimeError(f"{child.popen.args[:4]} exited with {child.popen.returncode}")
        time.sleep(0.05)
    raise TimeoutError(f"no port in {path}")


def _run_workers(specs: list[dict]) -> list[dict]:
    """Start every worker, wait until all are connected, release them together."""
    children = [Child([sys.executable, __file__, "--_worker", json.dumps(s)], pipe=True)
                for s in specs]
    try:
        for c in children:
            line = c.popen.stdout.readline()
            if not line:
                raise RuntimeError("a load worker failed before it was ready")
        for c in children:
            c.popen.stdin.write("go\n")
            c.popen.stdin.flush()
        results = []
        for c in children:
            line = c.popen.stdout.readline()
            if not line:
                raise RuntimeError("a load worker failed")
            results.append(json.loads(line))
            c.popen.wait(30)
        return results
    finally:
        for c in children:
            c.stop()


def _rate(results: list[dict]) -> tuple[int, float]:
    jobs = sum(r["jobs"] for r in results)
    elapsed = max(r["end"] for r in results) - min(r["start"] for r in results)
    return jobs, jobs / elapsed if elapsed > 0 else 0.0


def _prepare(url: str, sites: list[str], per_site: int) -> None:
    from benchlib import seed_campaign  # bench/ is on sys.path when a bench script runs

    seed_campaign(url, CAMPAIGN, "dispatch bench", sites, per_site)


def _check(url: str, total: int) -> dict[str, int]:
    from cetak.controller.store import open_store

    store = open_store(url)
    try:
        with store.transaction():
            printed_twice = len(store.printed_attempt_counts())
            printed = sum(n for (_site, state, n) in store.record_counts(CAMPAIGN)
                          if state == "printed")
            inconsistent = len(store.inconsistent_records())
        return {"printed_twice": printed_twice, "printed": printed,
                "lost": total - printed, "inconsistent": inconsistent}
    finally:
        store.close()


class _PgSchema:
    """A fresh schema in the given database for one run, dropped afterwards."""

    def __init__(self, dsn: str) -> None:
        import psycopg

        self.dsn = dsn
        self.name = f"cetak_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(dsn, autocommit=True) as c:
            c.execute(f"CREATE SCHEMA {self.name}")
        sep = "&" if "?" in dsn else "?"
        self.url = f"{dsn}{sep}options=-csearch_path%3D{self.name}"

    def drop(self) -> None:
        import psycopg

        with psycopg.connect(self.dsn, autocommit=True) as c:
            c.execute(f"DROP SCHEMA IF EXISTS {self.name} CASCADE")


def run(args: argparse.Namespace) -> dict[str, Any]:
    from cetak.procs import cetak_argv

    printers, jobs_wanted = args.printers, args.jobs
    n_sites = args.sites or max(1, printers // 4)
    per_site = max(1, jobs_wanted // n_sites)
    jobs = per_site * n_sites
    sites = [_site(i) for i in range(n_sites)]
    workdir = Path(tempfile.mkdtemp(prefix="cetak-dispatch-"))
    pg = None
    if args.store and args.store.startswith(("postgresql://", "postgres://")):
        pg = _PgSchema(args.store)
        url = pg.url
        kind = "postgresql"
    else:
        if args.replicas != 1:
            raise SystemExit("--replicas > 1 needs a PostgreSQL --store")
        url = args.store or f"sqlite://{workdir / 'controller.db'}"
        kind = "sqlite"
    children: list[Child] = []
    try:
        log.info("preparing %d records at %d sites in %s", jobs, n_sites, kind)
        _prepare(url, sites, per_site)

        # 1. the baseline: a bare gRPC echo, same streams, same window, same workers
        echo = Child([sys.executable, __file__, "--_echo-server", str(workdir / "echo.port")],
                     logfile=workdir / "echo.log")
        children.append(echo)
        echo_port = _wait_port(workdir / "echo.port", echo)
        rounds = max(1, jobs // printers)
        per_worker = _split(list(range(printers)), args.workers)
        echo_results = _run_workers([{
            "mode": "echo", "port": echo_port, "streams": len(share), "rounds": rounds,
            "inflight": args.inflight, "payload_bytes": 120} for share in per_worker if share])
        echo.stop()
        _, baseline = _rate(echo_results)
        log.info("grpc echo baseline: %.0f round trips/s", baseline)

        # 2. the controllers
        ports = []
        for r in range(args.replicas):
            port_file = workdir / f"controller{r}.port"
            c = Child(cetak_argv("controller", "serve", "--insecure", "--listen", "127.0.0.1:0",
                                 "--store", url, "--port-file", str(port_file),
                                 "--lease-seconds", "3600"),
                      logfile=workdir / f"controller{r}.log")
            children.append(c)
            ports.append(_wait_port(port_file, c))

        # 3. the virtual printers: sites whole per worker, agents round-robin over replicas
        agents = [{"agent_id": f"bench-{k:04d}", "site": sites[k % n_sites],
                   "port": ports[k % len(ports)]} for k in range(printers)]
        specs = []
        for w_sites in _split(sites, args.workers):
            chosen = set(w_sites)
            specs.append({"mode": "dispatch", "inflight": args.inflight,
                          "timeout_s": args.timeout,
                          "agents": [a for a in agents if a["site"] in chosen],
                          "per_site": {s: per_site for s in w_sites}})
        results = _run_workers([s for s in specs if s["agents"]])
        controller_cpu = sum(_cpu_seconds(c.popen.pid) for c in children[1:])
        done, rate = _rate(results)
        leased = [rid for r in results for rid in r["leased"]]
        handed_twice = len(leased) - len(set(leased))
        for c in children[1:]:
            c.stop()
        check = _check(url, jobs)
        return {
            "printers": printers, "jobs": done, "jobs_per_s": round(rate, 1),
            "grpc_baseline_per_s": round(baseline, 1),
            "ratio": round(rate / baseline, 3) if baseline else 0.0,
            "duplicates": check["printed_twice"] + handed_twice,
            "lost": check["lost"], "store": kind, "replicas": args.replicas,
            "sites": n_sites, "workers": args.workers, "inflight": args.inflight,
            "inconsistent": check["inconsistent"], "cpus": os.cpu_count(),
            # CPU the controllers spent per job: steadier than jobs/s on a shared machine.
            "controller_cpu_us_per_job": round(1e6 * controller_cpu / done) if done else 0,
            "client_cpu_us_per_job": round(1e6 * sum(r["cpu_s"] for r in results) / done)
            if done else 0,
        }
    finally:
        for c in children:
            c.stop()
        if pg is not None:
            pg.drop()
        if not args.keep:
            import shutil

            shutil.rmtree(workdir, ignore_errors=True)
        else:
            log.info("kept %s", workdir)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a live process (Linux /proc; 0 where unavailable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def _split(items: list, n: int) -> list[list]:
    return [items[i::n] for i in range(max(1, n))]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--_worker"]:
        logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
        return worker_entry(argv[1])
    if argv[:1] == ["--_echo-server"]:
        return echo_entry(argv[1])
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--store", default="", help="sqlite:///PATH or postgresql://... "
                   "(default: a temporary SQLite file); PostgreSQL runs in a fresh schema")
    p.add_argument("--replicas", type=int, default=1, help="controller processes (PostgreSQL)")
    p.add_argument("--printers", type=int, default=200, help="virtual instant printers")
    p.add_argument("--jobs", type=int, default=30_000, help="records to print")
    p.add_argument("--sites", type=int, default=0, help="sites (default: printers / 4)")
    p.add_argument("--workers", type=int, default=2, help="load worker processes")
    p.add_argument("--inflight", type=int, default=16, help="leases outstanding per printer")
    p.add_argument("--timeout", type=float, default=600.0, help="give up after this long")
    p.add_argument("--quick", action="store_true", help="a small run for CI (correctness)")
    p.add_argument("--keep", action="store_true", help="keep the work folder (logs)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    args = p.parse_args(argv)
    if args.quick:
        args.printers, args.jobs, args.workers = min(args.printers, 12), min(args.jobs, 240), 1
        args.timeout = min(args.timeout, 120.0)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(message)s")
    result = run(args)
    if args.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"{k:>20}: {v}", file=sys.stderr)
    return 0 if result["duplicates"] == 0 and result["lost"] == 0 else 1


if __name__ == "__main__":
    from cetak.procs import exit_on_termination

    # SIGTERM unwinds like Ctrl-C, so the finally blocks stop every child by pid.
    with exit_on_termination():
        sys.exit(main())
