-- Initial schema, PostgreSQL edition of migrations/0001_initial.sql (same tables, columns,
-- constraints and triggers; keep the two in step). Invariants enforced here rather than only
-- in code paths (docs/design.md section 4).

CREATE TABLE campaigns (
    campaign_id        TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    deadline_ms        BIGINT NOT NULL DEFAULT 0,
    budget_baru        BIGINT NOT NULL DEFAULT 0,   -- 0: no category budget
    budget_penggantian BIGINT NOT NULL DEFAULT 0,
    created_ms         BIGINT NOT NULL
);

CREATE TABLE sites (
    site_code            TEXT PRIMARY KEY,
    name                 TEXT NOT NULL,
    kecamatan            TEXT NOT NULL DEFAULT '',
    calendar_json        TEXT NOT NULL DEFAULT '[]',
    overtime_cap_minutes BIGINT NOT NULL DEFAULT 0,
    timezone             TEXT NOT NULL DEFAULT 'Asia/Jakarta'
);

-- Import order across replicas: a sequence rather than MAX(prr_seq)+1, which two replicas
-- importing at once would both read.
CREATE SEQUENCE records_prr_seq;

CREATE TABLE records (
    record_id     TEXT PRIMARY KEY,
    campaign_id   TEXT NOT NULL REFERENCES campaigns(campaign_id),
    nik           TEXT NOT NULL,
    site_code     TEXT NOT NULL,
    kategori      TEXT NOT NULL CHECK (kategori IN ('BARU', 'PENGGANTIAN')),
    alasan        TEXT NOT NULL DEFAULT '',
    priority      BIGINT NOT NULL DEFAULT 0,
    prr_seq       BIGINT NOT NULL,                    -- import order: FIFO within a priority
    state         TEXT NOT NULL CHECK (state IN
                    ('queued', 'leased', 'printed', 'held', 'rejected', 'cancelled')),
    hold_reason   TEXT NOT NULL DEFAULT '',
    epoch         BIGINT NOT NULL DEFAULT 0,          -- fencing token: +1 on every lease
    payload       BYTEA NOT NULL,                     -- serialized CardRecord
    imported_ms   BIGINT NOT NULL,
    printed_ms    BIGINT NOT NULL DEFAULT 0,
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
    epoch         BIGINT NOT NULL,
    expires_ms    BIGINT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN
                    ('leased', 'printing', 'printed', 'spoiled', 'failed_before_card', 'unknown')),
    reason        TEXT NOT NULL DEFAULT '',
    attempt_id    TEXT NOT NULL DEFAULT '',            -- the agent's id for the blank-consuming try
    printer_id    TEXT NOT NULL DEFAULT '',
    blank_serial  TEXT NOT NULL DEFAULT '',
    kategori      TEXT NOT NULL,
    leased_ms     BIGINT NOT NULL,
    updated_ms    BIGINT NOT NULL,
    evidence      TEXT NOT NULL DEFAULT '',
    -- Insertion order (SQLite's rowid): ties in leased_ms come back in the order granted.
    ins_seq       BIGINT GENERATED ALWAYS AS IDENTITY
);
-- Invariant 1: at most one printed card per record (and so per campaign record).
CREATE UNIQUE INDEX attempts_one_printed ON attempts (record_id) WHERE state = 'printed';
CREATE INDEX attempts_active ON attempts (agent_id, state);
CREATE INDEX attempts_expiry ON attempts (state, expires_ms);
CREATE INDEX attempts_record ON attempts (record_id);
CREATE INDEX attempts_site ON attempts (site_code, state);

-- Attempt transitions only along the state graph (docs/architecture.md). ERRCODE 23000 makes
-- the refusal an integrity error, like SQLite's RAISE(ABORT) in a trigger.
CREATE FUNCTION attempts_transition_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT (
           (OLD.state = 'leased'   AND NEW.state IN ('printing', 'printed', 'spoiled',
                                                      'failed_before_card', 'unknown'))
        OR (OLD.state = 'printing' AND NEW.state IN ('printed', 'spoiled', 'unknown'))
        OR (OLD.state = 'unknown'  AND NEW.state IN ('printed', 'spoiled', 'failed_before_card'))
    ) THEN
        RAISE EXCEPTION 'attempt transition not allowed' USING ERRCODE = '23000';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER attempts_transition BEFORE UPDATE OF state ON attempts
FOR EACH ROW WHEN (OLD.state <> NEW.state)
EXECUTE FUNCTION attempts_transition_check();

CREATE FUNCTION attempts_identity_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'attempt identity is immutable' USING ERRCODE = '23000';
END $$;
CREATE TRIGGER attempts_immutable_identity BEFORE UPDATE OF record_id, epoch, agent_id
ON attempts FOR EACH ROW EXECUTE FUNCTION attempts_identity_immutable();

-- Invariant 4: every agent event applied at most once.
CREATE TABLE applied_events (
    agent_id    TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    status      TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '',
    applied_ms  BIGINT NOT NULL,
    PRIMARY KEY (agent_id, event_id)
);

-- Reports that were not applied (stale epoch, impossible transition): surfaced for review.
CREATE TABLE flagged_events (
    id          BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    agent_id    TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    lease_id    TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    epoch       BIGINT NOT NULL,
    state       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    detail      TEXT NOT NULL,
    flagged_ms  BIGINT NOT NULL,
    reviewed    INTEGER NOT NULL DEFAULT 0
);

-- Blank, ribbon and film movements per site; consumption by printing is counted from attempts.
CREATE TABLE inventory_movements (
    movement_id       TEXT PRIMARY KEY,
    site_code         TEXT NOT NULL,
    item              TEXT NOT NULL CHECK (item IN ('blank', 'ribbon', 'film')),
    kind              TEXT NOT NULL CHECK (kind IN
                        ('receive', 'transfer_out', 'transfer_in', 'destroy', 'adjust')),
    quantity          BIGINT NOT NULL CHECK (quantity >= 0),
    serial_from       TEXT NOT NULL DEFAULT '',
    serial_to         TEXT NOT NULL DEFAULT '',
    reference         TEXT NOT NULL DEFAULT '',
    counterpart_site  TEXT NOT NULL DEFAULT '',
    at_ms             BIGINT NOT NULL
);
CREATE INDEX inventory_site ON inventory_movements (site_code, item, kind);
CREATE FUNCTION inventory_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'inventory movements are append-only' USING ERRCODE = '23000';
END $$;
CREATE TRIGGER inventory_append_only_u BEFORE UPDATE ON inventory_movements
FOR EACH ROW EXECUTE FUNCTION inventory_append_only();
CREATE TRIGGER inventory_append_only_d BEFORE DELETE ON inventory_movements
FOR EACH ROW EXECUTE FUNCTION inventory_append_only();
-- TRUNCATE skips row triggers: refuse it too.
CREATE TRIGGER inventory_append_only_t BEFORE TRUNCATE ON inventory_movements
FOR EACH STATEMENT EXECUTE FUNCTION inventory_append_only();

CREATE TABLE agents (
    agent_id        TEXT PRIMARY KEY,
    site_code       TEXT NOT NULL,
    connected       INTEGER NOT NULL DEFAULT 0,
    last_seen_ms    BIGINT NOT NULL DEFAULT 0,
    software        TEXT NOT NULL DEFAULT '',
    window_hours    DOUBLE PRECISION NOT NULL DEFAULT 4
);

CREATE TABLE printers (
    printer_id      TEXT NOT NULL,
    agent_id        TEXT NOT NULL,
    site_code       TEXT NOT NULL,
    info            BYTEA NOT NULL,          -- serialized PrinterInfo
    status          BYTEA,                   -- serialized PrinterStatus
    cards_per_hour  DOUBLE PRECISION NOT NULL DEFAULT 0,
    updated_ms      BIGINT NOT NULL,
    PRIMARY KEY (agent_id, printer_id)
);

-- PostgreSQL only: replicas learn that a site has queued work again (import, requeue after
-- failed_before_card, spoiled, expiry, release, move) without waiting for their poll.
-- NOTIFY is delivered at commit and identical payloads in one transaction are sent once.
CREATE FUNCTION records_notify_queued() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('cetak_queue', NEW.site_code);
    RETURN NULL;
END $$;
CREATE TRIGGER records_queued_insert AFTER INSERT ON records
FOR EACH ROW WHEN (NEW.state = 'queued') EXECUTE FUNCTION records_notify_queued();
CREATE TRIGGER records_queued_update AFTER UPDATE OF state, site_code ON records
FOR EACH ROW WHEN (NEW.state = 'queued') EXECUTE FUNCTION records_notify_queued();
