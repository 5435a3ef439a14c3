-- Import order from a counter instead of MAX(prr_seq): the index records_seq (0004) was kept
-- only for that MAX, and keeping it was ~0.4 s of a million-record import (bench/import.py).
-- One row; numbers only grow (a failed write may leave a gap, which orders nothing wrongly).
CREATE TABLE record_seq (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    last  INTEGER NOT NULL
);
INSERT INTO record_seq VALUES (1, (SELECT COALESCE(MAX(prr_seq), 0) FROM records));
DROP INDEX records_seq;
