-- PostgreSQL edition of migrations/0009_printer_kind.sql (keep the versions in step): the model
-- and retransfer flag each printer reported; retransfer NULL until its agent's next Hello.
ALTER TABLE printers ADD COLUMN model TEXT NOT NULL DEFAULT '';
ALTER TABLE printers ADD COLUMN retransfer INTEGER;
