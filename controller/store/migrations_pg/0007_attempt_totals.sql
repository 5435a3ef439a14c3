-- PostgreSQL edition of migrations/0007_attempt_totals.sql (keep in step).
CREATE TABLE attempt_totals (
    site_code    TEXT NOT NULL,
    campaign_id  TEXT NOT NULL,
    kategori     TEXT NOT NULL,
    state        TEXT NOT NULL,
    n            BIGINT NOT NULL,
    PRIMARY KEY (site_code, campaign_id, kategori, state)
);
INSERT INTO attempt_totals
    SELECT site_code, campaign_id, kategori, state, COUNT(*) FROM attempts
    GROUP BY site_code, campaign_id, kategori, state;
DROP INDEX attempts_site;
