-- PostgreSQL edition of migrations/0006_person_key.sql (keep in step).
ALTER TABLE records ADD COLUMN person_key BIGINT NOT NULL DEFAULT 0;
