-- Indexes of the dispatch hot path cover only the rows they serve (bench/dispatch.py).
-- An attempt leaves `leased`/`printing` once and a record leaves `queued` on every lease, so
-- full indexes were rewritten on every report and grant and grew with every finished card;
-- partial ones shrink as the campaign completes. The queries name the same predicates
-- (active_attempts, count_active, leased_expired_before, next_queued, count_queued).

DROP INDEX attempts_active;
CREATE INDEX attempts_active ON attempts (agent_id) WHERE state IN ('leased', 'printing');

DROP INDEX attempts_expiry;
CREATE INDEX attempts_expiry ON attempts (expires_ms) WHERE state = 'leased';

DROP INDEX records_queue;
CREATE INDEX records_queue ON records (site_code, priority DESC, prr_seq) WHERE state = 'queued';
