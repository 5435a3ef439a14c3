"""Shared by the benchmarks: a campaign seeded straight into a store (no PRR import)."""

from __future__ import annotations


def seed_campaign(url: str, campaign: str, name: str, sites: list[str], per_site: int) -> None:
    """`per_site` queued records and as many blanks at each site. Lease payloads carry no
    photo: the benchmarks measure dispatch and streams, not photo transfer."""
    from cetak.api.v1 import common_pb2
    from cetak.controller.ledger import LeasePolicy, Ledger
    from cetak.controller.model import Campaign, InventoryMovement, NewRecord
    from cetak.controller.store import open_store

    store = open_store(url)
    try:
        ledger = Ledger(store, LeasePolicy())
        ledger.create_campaign(Campaign(campaign, name, created_ms=1))
        for s_i, site in enumerate(sites):
            ledger.add_records([NewRecord(
                record_id=f"r{s_i:04d}{i:08d}", campaign_id=campaign,
                nik=f"{s_i:04d}{i:012d}", site_code=site, kategori="BARU", alasan="",
                payload=common_pb2.CardRecord(
                    record_id=f"r{s_i:04d}{i:08d}", nik=f"{s_i:04d}{i:012d}",
                    nama=f"WARGA {i}", kelurahan_kode=site).SerializeToString())
                for i in range(per_site)], 1)
            ledger.record_inventory(InventoryMovement(f"m-{site}", site, "blank", "receive",
                                                      per_site, at_ms=1))
    finally:
        store.close()
