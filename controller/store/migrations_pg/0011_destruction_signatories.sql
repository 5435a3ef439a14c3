-- PostgreSQL edition of migrations/0011_destruction_signatories.sql (keep the versions in
-- step): officers and witnesses by name, NIP and position, '' on older records.
ALTER TABLE destruction_records ADD COLUMN signatories_json TEXT NOT NULL DEFAULT '';
