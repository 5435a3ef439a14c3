-- PostgreSQL edition of migrations/0004_import_seq.sql (keep the versions in step): nothing to
-- do here, prr_seq comes from the records_prr_seq sequence, never from MAX(prr_seq).
SELECT 1;
