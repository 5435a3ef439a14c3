-- Campaign operations, PostgreSQL edition of migrations/0002_operations.sql (keep in step):
-- content-addressed photos, blank serial ranges per site, spoils outside printing,
-- destruction records (berita acara pemusnahan).

CREATE TABLE media (
    sha256      TEXT PRIMARY KEY,
    data        BYTEA NOT NULL,
    created_ms  BIGINT NOT NULL
);

ALTER TABLE inventory_movements DROP CONSTRAINT inventory_movements_kind_check;
ALTER TABLE inventory_movements ADD CONSTRAINT inventory_movements_kind_check CHECK (kind IN
    ('receive', 'transfer_out', 'transfer_in', 'destroy', 'adjust', 'spoil'));

CREATE TABLE blank_ranges (
    site_code    TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    first_no     BIGINT NOT NULL,
    last_no      BIGINT NOT NULL,
    width        INTEGER NOT NULL,
    movement_id  TEXT NOT NULL,
    CHECK (last_no >= first_no)
);
CREATE INDEX blank_ranges_site ON blank_ranges (site_code);

CREATE TABLE destruction_records (
    number          TEXT PRIMARY KEY,
    site_code       TEXT NOT NULL,
    place           TEXT NOT NULL,
    destroyed_ms    BIGINT NOT NULL,
    count           BIGINT NOT NULL CHECK (count > 0),
    serials_json    TEXT NOT NULL,
    witnesses_json  TEXT NOT NULL,
    method          TEXT NOT NULL DEFAULT '',
    created_by      TEXT NOT NULL,
    movement_id     TEXT NOT NULL,
    created_ms      BIGINT NOT NULL
);
CREATE INDEX destruction_site ON destruction_records (site_code);
CREATE FUNCTION destruction_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'destruction records are append-only' USING ERRCODE = '23000';
END $$;
CREATE TRIGGER destruction_append_only_u BEFORE UPDATE ON destruction_records
FOR EACH ROW EXECUTE FUNCTION destruction_append_only();
CREATE TRIGGER destruction_append_only_d BEFORE DELETE ON destruction_records
FOR EACH ROW EXECUTE FUNCTION destruction_append_only();
CREATE TRIGGER destruction_append_only_t BEFORE TRUNCATE ON destruction_records
FOR EACH STATEMENT EXECUTE FUNCTION destruction_append_only();
