-- Campaign operations: content-addressed photos, blank serial ranges per site, spoils outside
-- printing, destruction records (berita acara pemusnahan).

-- Photos and signatures once per distinct content: a record's payload keeps the CardRecord
-- without image bytes plus their sha256; the bytes are joined in when a lease is built.
CREATE TABLE media (
    sha256      TEXT PRIMARY KEY,
    data        BLOB NOT NULL,
    created_ms  INTEGER NOT NULL
);

-- Movements gain 'spoil' (a blank damaged outside printing). SQLite cannot alter a CHECK:
-- rebuild the table; the append-only triggers and the index are created again.
CREATE TABLE inventory_movements_v2 (
    movement_id       TEXT PRIMARY KEY,
    site_code         TEXT NOT NULL,
    item              TEXT NOT NULL CHECK (item IN ('blank', 'ribbon', 'film')),
    kind              TEXT NOT NULL CHECK (kind IN
                        ('receive', 'transfer_out', 'transfer_in', 'destroy', 'adjust',
                         'spoil')),
    quantity          INTEGER NOT NULL CHECK (quantity >= 0),
    serial_from       TEXT NOT NULL DEFAULT '',
    serial_to         TEXT NOT NULL DEFAULT '',
    reference         TEXT NOT NULL DEFAULT '',
    counterpart_site  TEXT NOT NULL DEFAULT '',
    at_ms             INTEGER NOT NULL
);
INSERT INTO inventory_movements_v2 SELECT * FROM inventory_movements;
DROP TABLE inventory_movements;
ALTER TABLE inventory_movements_v2 RENAME TO inventory_movements;
CREATE INDEX inventory_site ON inventory_movements (site_code, item, kind);
CREATE TRIGGER inventory_append_only_u BEFORE UPDATE ON inventory_movements
BEGIN SELECT RAISE(ABORT, 'inventory movements are append-only'); END;
CREATE TRIGGER inventory_append_only_d BEFORE DELETE ON inventory_movements
BEGIN SELECT RAISE(ABORT, 'inventory movements are append-only'); END;

-- Which blank serial ranges each site holds now (the movements are the history; this is the
-- current split, rewritten per site when a transfer or receipt changes it).
CREATE TABLE blank_ranges (
    site_code    TEXT NOT NULL,
    prefix       TEXT NOT NULL,              -- non-digit part before the number, e.g. 'KTP'
    first_no     INTEGER NOT NULL,
    last_no      INTEGER NOT NULL,
    width        INTEGER NOT NULL,           -- digits, zero-padded
    movement_id  TEXT NOT NULL,              -- the receipt or transfer that brought it
    CHECK (last_no >= first_no)
);
CREATE INDEX blank_ranges_site ON blank_ranges (site_code);

-- Berita acara pemusnahan: who destroyed which spoiled blanks, where and before whom.
CREATE TABLE destruction_records (
    number          TEXT PRIMARY KEY,
    site_code       TEXT NOT NULL,
    place           TEXT NOT NULL,
    destroyed_ms    INTEGER NOT NULL,
    count           INTEGER NOT NULL CHECK (count > 0),
    serials_json    TEXT NOT NULL,          -- JSON list of serials ([] when none were known)
    witnesses_json  TEXT NOT NULL,          -- JSON list of "name, position"
    method          TEXT NOT NULL DEFAULT '',
    created_by      TEXT NOT NULL,
    movement_id     TEXT NOT NULL,
    created_ms      INTEGER NOT NULL
);
CREATE INDEX destruction_site ON destruction_records (site_code);
CREATE TRIGGER destruction_append_only_u BEFORE UPDATE ON destruction_records
BEGIN SELECT RAISE(ABORT, 'destruction records are append-only'); END;
CREATE TRIGGER destruction_append_only_d BEFORE DELETE ON destruction_records
BEGIN SELECT RAISE(ABORT, 'destruction records are append-only'); END;
