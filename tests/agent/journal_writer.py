"""Subprocess for the crash test: journals leases, attempts, events and acks in a tight loop,
printing one line after each committed transaction, until it is killed."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

from agent_fakes import make_lease

from cetak.agent.journal import Journal
from cetak.agent.pipeline import make_event
from cetak.agent.sealing import Sealer, load_key_file
from cetak.api.v1 import common_pb2


def main() -> None:
    journal = Journal(Path(sys.argv[1]), Sealer(load_key_file(Path(sys.argv[2]))))
    i = 0
    while True:
        lease = make_lease(i, expires_at_ms=2**40)
        journal.add_lease(lease)
        print(f"lease {lease.lease_id}", flush=True)
        info = journal.lease(lease.lease_id)
        attempt = str(uuid.uuid4())
        journal.begin_attempt(lease.lease_id, attempt, "p1", 0)
        print(f"started {lease.lease_id}", flush=True)
        fed = make_event(info, attempt, common_pb2.PRINTING, "p1", at_ms=0)
        journal.record_event(fed)
        done = make_event(info, attempt, common_pb2.PRINTED, "p1", at_ms=0)
        journal.record_event(done)
        print(f"done {lease.lease_id}", flush=True)
        if i % 2 == 0:
            journal.ack([fed.event_id, done.event_id])
            print(f"acked {lease.lease_id}", flush=True)
        i += 1


if __name__ == "__main__":
    main()
