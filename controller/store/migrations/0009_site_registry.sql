-- The site registry (`cetak site add|set`): holidays (local dates on which the site does not
-- print, as a JSON list of "YYYY-MM-DD") and how many printers the site is to run.
ALTER TABLE sites ADD COLUMN holidays_json TEXT NOT NULL DEFAULT '[]';
ALTER TABLE sites ADD COLUMN printers_expected INTEGER NOT NULL DEFAULT 0;
