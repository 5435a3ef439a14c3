-- PostgreSQL edition of migrations/0005_records_nik.sql (keep in step): the unique
-- (campaign_id, nik) index serves lookups by NIK (across campaigns: one probe per campaign),
-- printed records have their own NIK index for the import's "printed before?" check.
DROP INDEX records_nik;
CREATE INDEX records_printed_nik ON records (nik) WHERE state = 'printed';
