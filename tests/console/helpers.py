"""Shared by the console tests: records, HTTP calls to a console, the controller's audit log."""

from __future__ import annotations

import json
import sqlite3
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from cetak.api.v1 import common_pb2


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
