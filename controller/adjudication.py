"""Deciding records held as a possible duplicate person (`cetak record adjudicate`).

The importer holds every record of a group sharing a normalised name and birth date under
different NIKs. An admin looks at them (the national centre's answer, the documents) and
releases each to the queue or rejects it; either way the reason goes to the audit log with
the change, in one transaction.
"""

from __future__ import annotations

from .importer import HOLD_REASON
from .ledger import Ledger, LedgerError
from .model import RecordState, RecordView


def adjudicate(ledger: Ledger, record_id: str, release: bool, reason: str,
               actor: str = "admin") -> RecordView:
    reason = reason.strip()
    if not reason:
        raise LedgerError("an adjudication needs a reason")
    store = ledger.store
    with store.transaction():
        row = store.record_row(record_id)
        if row is None:
            raise LedgerError("no such record")
        state, hold_reason = row[3], row[4]
        if state != RecordState.HELD or hold_reason != HOLD_REASON:
            raise LedgerError(f"record is {state}"
                              + (f" ({hold_reason})" if hold_reason else "")
                              + ", not held for adjudication")
        if release:
            store.set_record_state(record_id, RecordState.QUEUED)
        else:
            store.set_record_state(record_id, RecordState.REJECTED,
                                   hold_reason="rejected_duplicate_person")
        ledger.audit(actor, "record.adjudicate", record_id=record_id, campaign_id=row[1],
                     decision="release" if release else "reject", reason=reason)
        view = store.get_record(record_id)
    assert view is not None
    return view
