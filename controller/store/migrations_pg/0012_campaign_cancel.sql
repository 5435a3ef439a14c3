-- PostgreSQL edition of migrations/0011_campaign_cancel.sql (keep the versions in step).
ALTER TABLE campaigns ADD COLUMN cancelled_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE campaigns ADD COLUMN cancel_reason TEXT NOT NULL DEFAULT '';
