-- A key per record for duplicate-person detection (cetak.prr.text.person_key: birth date and
-- a CRC of the normalised name), so an import is checked against the campaign's earlier
-- imports, not only within its own file. No index: inserting at random places of one would
-- cost a third of a million-record import; the check reads the campaign once per import, and
-- only when the campaign already had records. Records from before this migration have 0 and
-- take no part (their keys cannot be computed in SQL).
ALTER TABLE records ADD COLUMN person_key INTEGER NOT NULL DEFAULT 0;
