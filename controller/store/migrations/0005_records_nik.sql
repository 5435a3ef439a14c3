-- A record's NIK was indexed twice: UNIQUE (campaign_id, nik) and records_nik (nik). Inserting
-- at random places of the second one was 3.5 of the ~25 CPU seconds of a million-record import
-- (bench/import.py). The unique index serves every lookup by NIK instead:
-- - within a campaign (duplicates at import, holds): as before;
-- - across campaigns (records_by_nik, `cetak record status NIK`): one probe per campaign, a
--   handful, through `campaign_id IN (SELECT campaign_id FROM campaigns)`;
-- - "printed before?" at import (niks_printed_elsewhere, every NIK of a file): this index of
--   printed records only, written once per printed card.
DROP INDEX records_nik;
CREATE INDEX records_printed_nik ON records (nik) WHERE state = 'printed';
