-- Import: every batch numbers its records after MAX(prr_seq). Without an index that was a scan
-- of the records (or of a covering index) per batch, quadratic in the import: 23 of the 51 s of
-- a million-record import (bench/import.py). Numbers only grow, so this index is appended to.
CREATE INDEX records_seq ON records (prr_seq);
