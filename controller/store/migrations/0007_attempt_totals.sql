-- Attempts per (site, campaign, category, state), kept by the store as it writes attempts
-- (controller/store/common.py PendingTotals: one upsert per key per commit, in key order).
-- A grant read the blanks a site had used and a category's spent budget by counting attempts:
-- its cost grew with every card printed (and, with category budgets, with every attempt of
-- the campaign). `cetak campaign verify` recounts the attempts and reports any difference.
CREATE TABLE attempt_totals (
    site_code    TEXT NOT NULL,
    campaign_id  TEXT NOT NULL,
    kategori     TEXT NOT NULL,
    state        TEXT NOT NULL,
    n            INTEGER NOT NULL,
    PRIMARY KEY (site_code, campaign_id, kategori, state)
) WITHOUT ROWID;
INSERT INTO attempt_totals
    SELECT site_code, campaign_id, kategori, state, COUNT(*) FROM attempts
    GROUP BY site_code, campaign_id, kategori, state;
-- Its one hot reader was the count above; rewriting it on every attempt transition cost more
-- than the cold readers (serials of a site, for destruction records) now scanning attempts.
DROP INDEX attempts_site;
