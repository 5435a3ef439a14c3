-- PostgreSQL edition of migrations/0008_record_seq.sql (keep the versions in step): nothing to
-- do here, prr_seq comes from the records_prr_seq sequence.
SELECT 1;
