"""Shared by the console tests: records, HTTP calls to a console, the controller's audit log."""

from __future__ import annotations

import json
import os
import sqlite3
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from cetak.api.v1 import common_pb2
from cetak.procs import ManagedProcess


def card_records(n: int, prefix: str = "c1-con") -> list[common_pb2.CardRecord]:
    from cetak.prr.cardrecord import to_card_record
    from cetak.prr.regions import load_regions
    from cetak.prr.synthetic import generate_records

    regions = load_regions()
    out = []
    for i, rec in enumerate(generate_records(n, seed=11)):
        record = to_card_record(rec, regions, record_id=f"{prefix}-{i}")
        record.issue_date = "2026-11-27"
        out.append(record)
    return out


def http(url: str, body: dict | None = None, *, token: str | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """GET (or POST `body` as JSON); returns (status, decoded JSON or text)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="GET" if body is None else "POST")
    if body is not None:
        request.add_header("Content-Type", "application/json")
    if token is not None:
        request.add_header("X-Cetak-Token", token)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, raw, kind = response.status, response.read(), response.headers
    except urllib.error.HTTPError as exc:
        status, raw, kind = exc.code, exc.read(), exc.headers
    if kind.get("Content-Type", "").startswith("application/json"):
        return status, json.loads(raw)
    return status, raw.decode("utf-8", "replace")


def page_token(html: str) -> str:
    marker = 'name="cetak-token" content="'
    start = html.index(marker) + len(marker)
    return html[start:html.index('"', start)]


def audit_actions(db: Path) -> list[tuple[str, dict]]:
    """(action, detail) of every audit entry, read on a connection of our own."""
    from cetak.security.sqlite_audit import SqliteAuditSink

    conn = sqlite3.connect(str(db))
    try:
        return [(e.action, e.detail_dict()) for e in SqliteAuditSink(conn, create=False)
                .iter_entries()]
    finally:
        conn.close()


def ready_line(proc: ManagedProcess, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in proc.output().splitlines():
            if line.startswith("{"):
                return json.loads(line)
        if not proc.alive():
            raise RuntimeError(f"{proc.name} exited:\n{proc.output()[-3000:]}")
        time.sleep(0.05)
    raise TimeoutError(f"{proc.name} printed no ready line")


def prepare_campaign(port: int, tmp_path: Path, site, cards: int) -> None:
    from cetak.api.v1 import admin_pb2, admin_pb2_grpc
    from cetak.client import open_channel
    from cetak.controller.campaign_cli import import_chunks
    from cetak.prr.bundle import bundle_prr
    from cetak.prr.synthetic import write_prr

    prr = write_prr(tmp_path / "prr", cards, sites=[site.code], seed=5)
    channel = open_channel(f"127.0.0.1:{port}", insecure=True)
    try:
        stub = admin_pb2_grpc.AdminServiceStub(channel)
        stub.CreateCampaign(admin_pb2.CreateCampaignRequest(campaign=admin_pb2.Campaign(
            campaign_id="latihan", name="Latihan konsol",
            deadline_ms=int((time.time() + 3600) * 1000))), timeout=30)
        stub.UpsertSite(admin_pb2.Site(site_code=site.code, name=site.name,
                                       kecamatan=site.kecamatan), timeout=30)
        stub.RecordInventory(admin_pb2.InventoryMovement(
            site_code=site.code, item="blank", kind="receive", quantity=cards + 20,
            reference="delivery for the console test"), timeout=30)
        upload = bundle_prr(prr, tmp_path / "upload.zip")
        result = stub.ImportRecords(import_chunks("latihan", upload, False), timeout=120)
        assert result.imported == cards and not result.invalid
    finally:
        channel.close()


def write_agent_config(tmp_path: Path, site_code: str, controller_port: int,
                       printer: dict, console_port: int, *, printer_lines: str = "",
                       sections: str = "") -> Path:
    """An agent.toml for one emulated Evolis; `printer_lines` go into its [[printers]] entry,
    `sections` (e.g. [signer]) after it."""
    key = tmp_path / "agent" / "journal.key"
    key.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(os.urandom(32))
    listen = printer["listen"].removeprefix("tcp://")
    service = printer["service"].removeprefix("tcp://")
    config = tmp_path / "agent" / "agent.toml"
    config.write_text(f"""
agent_id = "site-console"
site_code = "{site_code}"
console_address = "127.0.0.1:{console_port}"

[controller]
address = "127.0.0.1:{controller_port}"
insecure = true

[journal]
path = "journal.db"
key_file = "journal.key"

[tuning]
heartbeat_s = 1
silence_s = 5
reconnect_initial_s = 0.1
reconnect_max_s = 0.5
printer_retry_s = 0.5

[[printers]]
id = "printer-1"
transport = "tcp"
address = "{listen}"
dialect = "evolis"
service = "{service}"
{printer_lines}
{sections}
""")
    return config
