-- Initial schema: campaigns, sites, records, leases/attempts, events, inventory, agents.
-- Invariants enforced here rather than only in code paths (docs/design.md section 4).

CREATE TABLE campaigns (
    campaign_id        TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    deadline_ms        INTEGER NOT NULL DEFAULT 0,
    budget_baru        INTEGER NOT NULL DEFAULT 0,   -- 0: no category budget
    budget_penggantian INTEGER NOT NULL DEFAULT 0,
    created_ms         INTEGER NOT NULL
);

CREATE TABLE sites (
    site_code            TEXT PRIMARY KEY,
    name                 TEXT NOT NULL,
    kecamatan            TEXT NOT NULL DEFAULT '',
    calendar_json        TEXT NOT NULL DEFAULT '[]',
    overtime_cap_minutes INTEGER NOT NULL DEFAULT 0,
    timezone             TEXT NOT NULL DEFAULT 'Asia/Jakarta'
);

CREATE TABLE records (
    record_id     TEXT PRIMARY KEY,
    campaign_id   TEXT NOT NULL REFERENCES campaigns(campaign_id),
    nik           TEXT NOT NULL,
    site_code     TEXT NOT NULL,
    kategori      TEXT NOT NULL CHECK (kategori IN ('BARU', 'PENGGANTIAN')),
    alasan        TEXT NOT NULL DEFAULT '',
    priority      INTEGER NOT NULL DEFAULT 0,
    prr_seq       INTEGER NOT NULL,                   -- import order: FIFO within a priority
    state         TEXT NOT NULL CHECK (state IN
                    ('queued', 'leased', 'printed', 'held', 'rejected', 'cancelled')),
    hold_reason   TEXT NOT NULL DEFAULT '',
    epoch         INTEGER NOT NULL DEFAULT 0,         -- fencing token: +1 on every lease
    payload       BLOB NOT NULL,                      -- serialized CardRecord
    imported_ms   INTEGER NOT NULL,
    printed_ms    INTEGER NOT NULL DEFAULT 0,
    UNIQUE (campaign_id, nik)
);
CREATE INDEX records_queue ON records (site_code, state, priority DESC, prr_seq);
CREATE INDEX records_nik ON records (nik);

-- One attempt per lease: one try on one printer with one blank.
CREATE TABLE attempts (
    lease_id      TEXT PRIMARY KEY,
    record_id     TEXT NOT NULL REFERENCES records(record_id),
    campaign_id   TEXT NOT NULL,
    site_code     TEXT NOT NULL,
    agent_id      TEXT NOT NULL,
    epoch         INTEGER NOT NULL,
    expires_ms    INTEGER NOT NULL,
    state         TEXT NOT NULL CHECK (state IN
                    ('leased', 'printing', 'printed', 'spoiled', 'failed_before_card', 'unknown')),
    reason        TEXT NOT NULL DEFAULT '',
    attempt_id    TEXT NOT NULL DEFAULT '',            -- the agent's id for the blank-consuming try
    printer_id    TEXT NOT NULL DEFAULT '',
    blank_serial  TEXT NOT NULL DEFAULT '',
    kategori      TEXT NOT NULL,
    leased_ms     INTEGER NOT NULL,
    updated_ms    INTEGER NOT NULL,
    evidence      TEXT NOT NULL DEFAULT ''
);
-- Invariant 1: at most one printed card per record (and so per campaign record).
CREATE UNIQUE INDEX attempts_one_printed ON attempts (record_id) WHERE state = 'printed';
CREATE INDEX attempts_active ON attempts (agent_id, state);
CREATE INDEX attempts_expiry ON attempts (state, expires_ms);
CREATE INDEX attempts_record ON attempts (record_id);
CREATE INDEX attempts_site ON attempts (site_code, state);

-- Attempt transitions only along the state graph (docs/architecture.md).
CREATE TRIGGER attempts_transition BEFORE UPDATE OF state ON attempts
WHEN OLD.state <> NEW.state AND NOT (
       (OLD.state = 'leased'   AND NEW.state IN ('printing', 'printed', 'spoiled',
                                                  'failed_before_card', 'unknown'))
    OR (OLD.state = 'printing' AND NEW.state IN ('printed', 'spoiled', 'unknown'))
    OR (OLD.state = 'unknown'  AND NEW.state IN ('printed', 'spoiled', 'failed_before_card'))
)
BEGIN
    SELECT RAISE(ABORT, 'attempt transition not allowed');
END;

CREATE TRIGGER attempts_immutable_identity BEFORE UPDATE OF record_id, epoch, agent_id ON attempts
BEGIN
    SELECT RAISE(ABORT, 'attempt identity is immutable');
END;

-- Invariant 4: every agent event applied at most once.
CREATE TABLE applied_events (
    agent_id    TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    status      TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '',
    applied_ms  INTEGER NOT NULL,
    PRIMARY KEY (agent_id, event_id)
) WITHOUT ROWID;

-- Reports that were not applied (stale epoch, impossible transition): surfaced for review.
CREATE TABLE flagged_events (
    id          INTEGER PRIMARY KEY,
    agent_id    TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    lease_id    TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    epoch       INTEGER NOT NULL,
    state       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    detail      TEXT NOT NULL,
    flagged_ms  INTEGER NOT NULL,
    reviewed    INTEGER NOT NULL DEFAULT 0
);

-- Blank, ribbon and film movements per site; consumption by printing is counted from attempts.
CREATE TABLE inventory_movements (
    movement_id       TEXT PRIMARY KEY,
    site_code         TEXT NOT NULL,
    item              TEXT NOT NULL CHECK (item IN ('blank', 'ribbon', 'film')),
    kind              TEXT NOT NULL CHECK (kind IN
                        ('receive', 'transfer_out', 'transfer_in', 'destroy', 'adjust')),
    quantity          INTEGER NOT NULL CHECK (quantity >= 0),
    serial_from       TEXT NOT NULL DEFAULT '',
    serial_to         TEXT NOT NULL DEFAULT '',
    reference         TEXT NOT NULL DEFAULT '',
    counterpart_site  TEXT NOT NULL DEFAULT '',
    at_ms             INTEGER NOT NULL
);
CREATE INDEX inventory_site ON inventory_movements (site_code, item, kind);
CREATE TRIGGER inventory_append_only_u BEFORE UPDATE ON inventory_movements
BEGIN SELECT RAISE(ABORT, 'inventory movements are append-only'); END;
CREATE TRIGGER inventory_append_only_d BEFORE DELETE ON inventory_movements
BEGIN SELECT RAISE(ABORT, 'inventory movements are append-only'); END;

CREATE TABLE agents (
    agent_id        TEXT PRIMARY KEY,
    site_code       TEXT NOT NULL,
    connected       INTEGER NOT NULL DEFAULT 0,
    last_seen_ms    INTEGER NOT NULL DEFAULT 0,
    software        TEXT NOT NULL DEFAULT '',
    window_hours    REAL NOT NULL DEFAULT 4
);

CREATE TABLE printers (
    printer_id      TEXT NOT NULL,
    agent_id        TEXT NOT NULL,
    site_code       TEXT NOT NULL,
    info            BLOB NOT NULL,          -- serialized PrinterInfo
    status          BLOB,                   -- serialized PrinterStatus
    cards_per_hour  REAL NOT NULL DEFAULT 0,
    updated_ms      INTEGER NOT NULL,
    PRIMARY KEY (agent_id, printer_id)
);
