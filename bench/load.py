"""Load test: many agents on one controller for a sustained period.

    python bench/load.py [--quick] [--agents 1000] [--duration 60] [--workers 4] --json
    -> {"agents", "connected", "connect_p50_ms", "connect_p99_ms", "duration_s", "events",
        "event_ack_p50_ms", "event_ack_p99_ms", "heartbeat_p50_ms", "heartbeat_p99_ms",
        "cards_printed", "stream_errors", "controller_stream_errors", "controller_rss_mb_max",
        "controller_cpu_percent", "tls", ...}

What runs, each in its own process: `cetak controller serve` on a fresh SQLite store with
mutual TLS (a throwaway PKI with one certificate per agent naming its site, cached in
`--pki-cache` if given; `--insecure` runs plaintext and the JSON says "tls": false), and W load
workers, each holding its share of the agents as asyncio tasks, one channel (one TCP
connection) and one AgentService.Connect stream per agent, as a real agent has.

Each agent says Hello, heartbeats every `--heartbeat` seconds like the real agent (5 s), and
from the start of the sustained period keeps `--inflight` leases: per lease it waits a card's
print time (random, about `--card-seconds`), reports PRINTING then PRINTED, and asks for more.
Measured during the sustained period only: event -> Ack latency (per JobEvent, until the Ack
naming its event id arrives), heartbeat round trips, and the controller's RSS and CPU (from
/proc/<pid>/status and /proc/<pid>/stat, sampled every second). `stream_errors` counts streams
that ended or failed before the workers closed them; `controller_stream_errors` is the
controller's own count (cetak_agent_stream_errors_total). `--quick` (100 agents, 10 s) is for
CI. stdout carries only the JSON with --json; logs go to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import resource
import shutil
import signal
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

log = logging.getLogger("bench.load")

CAMPAIGN = "load"
AGENTS_PER_SITE = 4


def _site(i: int) -> str:
    return f"32.76.{i // 100:02d}.{3000 + i % 100:04d}"


# -- the load worker (one process, many agents) ---------------------------------------------------

class LoadAgent:
    """One agent: one channel, one stream, instant-but-paced printing."""

    def __init__(self, agent_id: str, site: str, address: str, spec: dict[str, Any],
                 rng: random.Random) -> None:
        self.agent_id, self.site, self.address = agent_id, site, address
        self.spec = spec
        self.rng = rng
        self.connect_ms: float | None = None
        self.event_ms: list[float] = []
        self.heartbeat_ms: list[float] = []
        self.printed = 0
        self.error: str | None = None
        self.bad_acks = 0                      # events not APPLIED (none expected)
        self.closing = False
        self._sent: dict[str, float] = {}       # event id -> monotonic time written
        self._heartbeats: list[float] = []      # send times of heartbeats awaiting a reply
        self._printed_events: set[str] = set()  # a card is done when its PRINTED is acked
        self._outstanding = 0
        self._credit_view = 0
        self._out: asyncio.Queue = asyncio.Queue()
        self._measuring = False

    async def run(self, go: asyncio.Event, stop: asyncio.Event) -> None:

        from cetak.api.v1 import agent_pb2, agent_pb2_grpc, common_pb2

        hello = agent_pb2.AgentMessage(hello=agent_pb2.Hello(
            agent_id=self.agent_id, site_code=self.site, software_version="bench-load",
            window_hours=0.05, printers=[common_pb2.PrinterInfo(
                printer_id="p1", cards_per_hour=3600 / self.spec["card_s"])]))
        self._out.put_nowait(hello)

        async def requests():
            while (m := await self._out.get()) is not None:
                yield m

        async with _channel(self.address, self.agent_id, self.spec.get("pki")) as channel:
            call = agent_pb2_grpc.AgentServiceStub(channel).Connect(requests())
            tasks = [asyncio.create_task(self._read(call)),
                     asyncio.create_task(self._heartbeat(stop)),
                     asyncio.create_task(self._start_on(go))]
            stopper = asyncio.create_task(stop.wait())
            try:
                done, _ = await asyncio.wait({tasks[0], stopper},
                                             return_when=asyncio.FIRST_COMPLETED)
                if tasks[0] in done and self.error is None:
                    tasks[0].result()
            except Exception as exc:  # a failed stream is counted, never raised
                self.error = f"{type(exc).__name__}: {exc}"
            finally:
                self.closing = True
                self._out.put_nowait(None)
                for t in [*tasks, stopper]:
                    t.cancel()
                await asyncio.gather(*tasks, stopper, return_exceptions=True)
                call.cancel()

    async def _start_on(self, go: asyncio.Event) -> None:
        await go.wait()
        self._measuring = True
        self._credit()

    def _credit(self) -> None:
        from cetak.api.v1 import agent_pb2

        wanted = max(0, self.spec["inflight"] - self._outstanding)
        if self._measuring and wanted > self._credit_view:
            self._out.put_nowait(agent_pb2.AgentMessage(credit=agent_pb2.Credit(slots=wanted)))
            self._credit_view = wanted

    async def _heartbeat(self, stop: asyncio.Event) -> None:
        from cetak.api.v1 import agent_pb2

        period = self.spec["heartbeat_s"]
        await asyncio.sleep(self.rng.uniform(0, period))  # agents are not in lockstep
        while not stop.is_set():
            self._heartbeats.append(time.monotonic())
            self._out.put_nowait(agent_pb2.AgentMessage(heartbeat=agent_pb2.Heartbeat(
                time_ms=int(time.time() * 1000))))
            await asyncio.sleep(period)

    async def _print(self, lease) -> None:
        from cetak.api.v1 import agent_pb2, common_pb2

        await asyncio.sleep(self.rng.uniform(0.5, 1.5) * self.spec["card_s"])
        attempt = uuid.uuid4().hex
        for state in (common_pb2.PRINTING, common_pb2.PRINTED):
            if self.closing:
                return
            event_id = uuid.uuid4().hex
            if state == common_pb2.PRINTED:
                self._printed_events.add(event_id)
            self._sent[event_id] = time.monotonic()
            self._out.put_nowait(agent_pb2.AgentMessage(event=agent_pb2.JobEvent(
                event_id=event_id, lease_id=lease.lease_id, epoch=lease.epoch,
                record_id=lease.record_id, campaign_id=lease.campaign_id, state=state,
                attempt_id=attempt, printer_id="p1",
                blank_serial=f"{self.agent_id}-{lease.record_id}",
                occurred_at_ms=int(time.time() * 1000))))
            if state == common_pb2.PRINTING:
                await asyncio.sleep(0.05 * self.spec["card_s"])  # the card goes through

    async def _read(self, call) -> None:
        import grpc

        from cetak.api.v1 import agent_pb2

        connect_started = time.monotonic()
        pending: set[asyncio.Task] = set()
        while True:
            m = await call.read()
            if m is grpc.aio.EOF:
                if not self.closing:
                    self.error = f"controller closed the stream: {await call.code()}"
                return
            kind = m.WhichOneof("body")
            now = time.monotonic()
            if kind == "welcome":
                self.connect_ms = (now - connect_started) * 1000
            elif kind == "lease":
                self._outstanding += 1
                self._credit_view = max(0, self._credit_view - 1)
                task = asyncio.create_task(self._print(m.lease))
                pending.add(task)
                task.add_done_callback(pending.discard)
            elif kind == "ack":
                for a in m.ack.events:
                    sent = self._sent.pop(a.event_id, None)
                    if sent is not None and self._measuring:
                        self.event_ms.append((now - sent) * 1000)
                    if a.status != agent_pb2.APPLIED:
                        self.bad_acks += 1
                        log.warning("%s: event acked %s: %s", self.agent_id,
                                    agent_pb2.AckStatus.Name(a.status), a.detail)
                    if a.event_id in self._printed_events:
                        self._printed_events.discard(a.event_id)
                        self.card_acked()
            elif kind == "heartbeat":
                if self._heartbeats:
                    sent = self._heartbeats.pop(0)
                    if self._measuring:
                        self.heartbeat_ms.append((now - sent) * 1000)

    def card_acked(self) -> None:
        self._outstanding -= 1
        self.printed += 1
        self._credit()


def _channel(address: str, agent_id: str, pki: str | None):
    """The agent's channel: mutual TLS with its own certificate, or plaintext."""
    import grpc

    if pki is None:
        return grpc.aio.insecure_channel(address)
    from cetak.security.tls import CONTROLLER_TLS_NAME

    folder = Path(pki)
    credentials = grpc.ssl_channel_credentials(
        root_certificates=(folder / "ca.pem").read_bytes(),
        private_key=(folder / f"agent-{agent_id}.key").read_bytes(),
        certificate_chain=(folder / f"agent-{agent_id}.pem").read_bytes())
    return grpc.aio.secure_channel(address, credentials, options=[
        ("grpc.ssl_target_name_override", CONTROLLER_TLS_NAME)])


async def _worker_main(spec: dict[str, Any], folder: Path) -> dict[str, Any]:
    rng = random.Random(spec["seed"])
    go, stop = asyncio.Event(), asyncio.Event()
    agents = [LoadAgent(a["agent_id"], a["site"], spec["address"], spec, random.Random(
        rng.random())) for a in spec["agents"]]
    tasks = []
    for agent in agents:
        tasks.append(asyncio.create_task(agent.run(go, stop)))
        await asyncio.sleep(spec["ramp_s"] / max(1, len(agents)))  # a ramp, not a stampede
    deadline = time.monotonic() + spec["connect_timeout_s"]
    while time.monotonic() < deadline and not all(
            a.connect_ms is not None or a.error for a in agents):
        await asyncio.sleep(0.1)
    (folder / f"ready-{spec['worker']}.json").write_text(json.dumps({
        "connected": sum(1 for a in agents if a.connect_ms is not None)}))
    go_file = folder / "go"
    while not go_file.exists():
        await asyncio.sleep(0.05)
    go.set()
    await asyncio.sleep(spec["duration_s"])
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    errors = [f"{a.agent_id}: {a.error}" for a in agents if a.error]
    return {"connected": sum(1 for a in agents if a.connect_ms is not None),
            "connect_ms": [a.connect_ms for a in agents if a.connect_ms is not None],
            "event_ms": [x for a in agents for x in a.event_ms],
            "heartbeat_ms": [x for a in agents for x in a.heartbeat_ms],
            "printed": sum(a.printed for a in agents), "errors": errors,
            "bad_acks": sum(a.bad_acks for a in agents)}


def worker_entry(spec_path: str) -> int:
    spec = json.loads(Path(spec_path).read_text())
    folder = Path(spec_path).parent
    _raise_fd_limit()
    result = asyncio.run(_worker_main(spec, folder))
    tmp = folder / f"result-{spec['worker']}.tmp"
    tmp.write_text(json.dumps(result))
    os.replace(tmp, folder / f"result-{spec['worker']}.json")
    return 0


# -- the orchestrator -----------------------------------------------------------------------------

def _raise_fd_limit() -> None:
    """Every agent stream is a socket on both sides: lift the soft limit to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _prepare(url: str, sites: list[str], per_site: int) -> None:
    from benchlib import seed_campaign  # bench/ is on sys.path when a bench script runs

    seed_campaign(url, CAMPAIGN, "load test", sites, per_site)


class ProcSampler:
    """RSS and CPU time of one process from /proc (Linux)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.tick = os.sysconf("SC_CLK_TCK")
        self.rss_mb: list[float] = []

    def cpu_s(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / self.tick  # utime + stime

    def sample(self) -> None:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                self.rss_mb.append(int(line.split()[1]) / 1024)


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


def _scrape_stream_errors(port: int) -> float:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        text = r.read().decode()
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("cetak_agent_stream_errors_total"))


def _check(url: str) -> dict[str, int]:
    from cetak.controller.store import open_store

    store = open_store(url)
    try:
        with store.transaction():
            return {"printed_twice": len(store.printed_attempt_counts()),
                    "inconsistent": len(store.inconsistent_records())}
    finally:
        store.close()


def run(args: argparse.Namespace) -> dict[str, Any]:
    from cetak.procs import ManagedProcess, cetak_argv, free_port, wait_for_file

    started = time.monotonic()
    _raise_fd_limit()
    n_sites = max(1, -(-args.agents // AGENTS_PER_SITE))
    sites = [_site(i) for i in range(n_sites)]
    # Enough records that no agent runs dry: every card takes at least half of card_s.
    per_site = AGENTS_PER_SITE * (int(args.duration / (0.5 * args.card_seconds)) + 2
                                  + args.inflight)
    work = Path(tempfile.mkdtemp(prefix="cetak-load-"))
    url = f"sqlite://{work / 'controller.db'}"
    procs: list[ManagedProcess] = []
    try:
        log.info("preparing %d records at %d sites", per_site * n_sites, n_sites)
        _prepare(url, sites, per_site)
        agents = [{"agent_id": f"load-{k:05d}", "site": sites[k // AGENTS_PER_SITE]}
                  for k in range(args.agents)]
        pki = None
        security = ["--insecure"]
        if not args.insecure:
            pki = _agent_pki(args.pki_cache or work / "pki", agents)
            security = ["--pki", str(pki)]
        metrics_port = free_port()
        port_file = work / "controller.port"
        controller = ManagedProcess(cetak_argv(
            "controller", "serve", *security, "--listen", "127.0.0.1:0", "--store", url,
            "--port-file", str(port_file), "--lease-seconds", "3600",
            "--metrics-port", str(metrics_port)), work / "controller.log", name="controller")
        procs.append(controller)
        port = int(wait_for_file(port_file, controller, timeout=60))
        for w in range(args.workers):
            spec = {"worker": w, "address": f"127.0.0.1:{port}", "agents": agents[w::args.workers],
                    "inflight": args.inflight, "card_s": args.card_seconds,
                    "heartbeat_s": args.heartbeat, "duration_s": args.duration,
                    "ramp_s": args.ramp, "connect_timeout_s": 120.0, "seed": args.seed + w,
                    "pki": str(pki) if pki else None}
            (work / f"spec-{w}.json").write_text(json.dumps(spec))
            procs.append(ManagedProcess([sys.executable, __file__, "--_worker",
                                         str(work / f"spec-{w}.json")],
                                        work / f"worker-{w}.log", name=f"worker {w}"))
        ready = _wait_all(work, "ready", args.workers, procs, timeout=args.ramp + 180)
        connected_at_go = sum(r["connected"] for r in ready)
        log.info("%d of %d agents connected; sustained period of %.0f s", connected_at_go,
                 args.agents, args.duration)
        sampler = ProcSampler(controller.pid)
        sampler.sample()
        cpu0, t0 = sampler.cpu_s(), time.monotonic()
        (work / "go").write_text("go")
        results: list[dict] = []
        deadline = time.monotonic() + args.duration + 120
        cpu1 = t1 = None
        while time.monotonic() < deadline:
            if time.monotonic() - t0 <= args.duration:
                sampler.sample()
                cpu1, t1 = sampler.cpu_s(), time.monotonic()
            if all((work / f"result-{w}.json").exists() for w in range(args.workers)):
                break
            for proc in procs:
                if not proc.alive() and proc.popen.returncode != 0:
                    raise RuntimeError(f"{proc.name} failed:\n{proc.output()[-3000:]}")
            time.sleep(1.0)
        load_avg = os.getloadavg()[0]
        results = [json.loads((work / f"result-{w}.json").read_text())
                   for w in range(args.workers)]
        controller_errors = _scrape_stream_errors(metrics_port)
        for proc in procs[1:]:
            proc.stop()
        controller.stop()
        check = _check(url)
        errors = [e for r in results for e in r["errors"]]
        for e in errors[:20]:
            log.error("stream error: %s", e)
        event_ms = [x for r in results for x in r["event_ms"]]
        heartbeat_ms = [x for r in results for x in r["heartbeat_ms"]]
        connect_ms = [x for r in results for x in r["connect_ms"]]
        wall = (t1 - t0) if t1 else 0.0
        return {
            "agents": args.agents, "connected": connected_at_go,
            "connect_success": connected_at_go == args.agents,
            "connect_p50_ms": _percentile(connect_ms, 0.5),
            "connect_p99_ms": _percentile(connect_ms, 0.99),
            "duration_s": args.duration, "events": len(event_ms),
            "event_ack_p50_ms": _percentile(event_ms, 0.5),
            "event_ack_p99_ms": _percentile(event_ms, 0.99),
            "heartbeat_p50_ms": _percentile(heartbeat_ms, 0.5),
            "heartbeat_p99_ms": _percentile(heartbeat_ms, 0.99),
            "cards_printed": sum(r["printed"] for r in results),
            "stream_errors": len(errors), "controller_stream_errors": int(controller_errors),
            "bad_acks": sum(r["bad_acks"] for r in results),
            "controller_rss_mb_max": round(max(sampler.rss_mb), 1),
            "controller_rss_mb_end": round(sampler.rss_mb[-1], 1),
            "controller_cpu_percent": round(100 * (cpu1 - cpu0) / wall, 1) if wall else 0.0,
            "duplicates": check["printed_twice"], "inconsistent": check["inconsistent"],
            # the machine's load during the run: figures from a shared machine need it
            "host_load_avg_1m": round(load_avg, 2),
            "tls": pki is not None, "workers": args.workers, "sites": n_sites,
            "cpus": os.cpu_count(), "elapsed_s": round(time.monotonic() - started, 2),
        }
    finally:
        for proc in procs:
            proc.stop(signal.SIGKILL if proc.alive() else signal.SIGTERM, timeout=10)
        if args.keep:
            log.info("kept %s", work)
        else:
            shutil.rmtree(work, ignore_errors=True)


def _agent_pki(folder: Path, agents: list[dict]) -> Path:
    """A throwaway PKI with one certificate per agent naming its site; kept in `folder` and
    reused by later runs (issuing 1,000 certificates takes a few seconds)."""
    from cetak.security.pki import init_pki, issue_agent

    if not (folder / "ca.pem").exists():
        init_pki(folder)
    issued = 0
    for a in agents:
        if not (folder / f"agent-{a['agent_id']}.pem").exists():
            issue_agent(folder, a["site"], a["agent_id"])
            issued += 1
    log.info("PKI in %s (%d agent certificates issued now)", folder, issued)
    return folder


def _wait_all(work: Path, stem: str, n: int, procs, timeout: float) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all((work / f"{stem}-{w}.json").exists() for w in range(n)):
            return [json.loads((work / f"{stem}-{w}.json").read_text()) for w in range(n)]
        for proc in procs:
            if not proc.alive():
                raise RuntimeError(f"{proc.name} exited:\n{proc.output()[-3000:]}")
        time.sleep(0.2)
    raise TimeoutError(f"load workers not {stem} within {timeout:.0f} s")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--_worker"]:
        logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
        return worker_entry(argv[1])
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--agents", type=int, default=1000, help="agent streams (default 1000)")
    p.add_argument("--duration", type=float, default=60.0, help="sustained period, seconds")
    p.add_argument("--workers", type=int, default=4, help="load worker processes")
    p.add_argument("--inflight", type=int, default=2, help="leases each agent keeps")
    p.add_argument("--card-seconds", type=float, default=5.0,
                   help="mean print time of a card (a real printer: about 18 s)")
    p.add_argument("--heartbeat", type=float, default=5.0, help="heartbeat period, seconds")
    p.add_argument("--ramp", type=float, default=10.0, help="seconds over which agents connect")
    p.add_argument("--insecure", action="store_true",
                   help="plaintext streams (default: mutual TLS, one certificate per agent)")
    p.add_argument("--pki-cache", type=Path, metavar="DIR",
                   help="keep the agents' PKI here and reuse it (default: in the work folder)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--quick", action="store_true", help="100 agents for 10 s (CI)")
    p.add_argument("--keep", action="store_true", help="keep the work folder (logs, store)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    args = p.parse_args(argv)
    if args.quick:
        args.agents, args.duration = min(args.agents, 100), min(args.duration, 10.0)
        args.workers, args.ramp = min(args.workers, 2), min(args.ramp, 2.0)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(message)s")
    result = run(args)
    if args.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"{k:>26}: {v}", file=sys.stderr)
    ok = (result["connect_success"] and result["stream_errors"] == 0
          and result["controller_stream_errors"] == 0 and result["duplicates"] == 0)
    return 0 if ok else 1


if __name__ == "__main__":
    from cetak.procs import exit_on_termination

    # SIGTERM unwinds like Ctrl-C, so the finally blocks stop every child by pid.
    with exit_on_termination():
        sys.exit(main())
