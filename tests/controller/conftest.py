"""Fixtures for controller tests: a real store in a temporary folder, records, blanks."""

from __future__ import annotations

import pytest

from cetak.api.v1 import common_pb2
from cetak.controller.ledger import LeasePolicy, Ledger
from cetak.controller.model import Campaign, InventoryMovement, NewRecord
from cetak.controller.store import SqliteStore

SITE = "32.76.01.1006"
OTHER_SITE = "32.76.01.1007"


def make_records(campaign_id: str, n: int, site: str = SITE, start: int = 0,
                 kategori: str = "BARU") -> list[NewRecord]:
    out = []
    for i in range(start, start + n):
        nik = f"{site[-4:]}{i:012d}"
        rid = f"{campaign_id}-{site}-{i}"
        payload = common_pb2.CardRecord(record_id=rid, nik=nik, nama=f"WARGA {i}",
                                        kelurahan_kode=site).SerializeToString()
        out.append(NewRecord(record_id=rid, campaign_id=campaign_id, nik=nik,
                             site_code=site, kategori=kategori, alasan="", payload=payload))
    return out


def receive_blanks(ledger: Ledger, site: str, n: int, ref: str = "m") -> None:
    ledger.record_inventory(InventoryMovement(f"{ref}-{site}-{n}", site, "blank", "receive", n,
                                              at_ms=1))


@pytest.fixture
def store(tmp_path):
    s = SqliteStore(tmp_path / "controller.db")
    yield s
    s.close()


@pytest.fixture
def ledger(store) -> Ledger:
    led = Ledger(store, LeasePolicy(lease_ms=60_000, skew_margin_ms=1_000))
    led.create_campaign(Campaign("c1", "Pemilu", created_ms=1))
    return led
