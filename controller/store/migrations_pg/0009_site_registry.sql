-- PostgreSQL edition of migrations/0009_site_registry.sql (keep the versions in step).
ALTER TABLE sites ADD COLUMN holidays_json TEXT NOT NULL DEFAULT '[]';
ALTER TABLE sites ADD COLUMN printers_expected INTEGER NOT NULL DEFAULT 0;
