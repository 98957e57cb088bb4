-- Which database transaction inserted each row (64-bit id with epoch), so a
-- scoring process that keeps histories in memory reads only what committed
-- since its last read (db/scoring_cycle.hpp, read_transactions_since).
-- txid_current() rather than pg_current_xact_id(): it returns bigint directly
-- (no per-row text cast during a bulk load), and BRIN has no xid8 operator
-- class. Ids grow with insertion order, the case BRIN is made for, so the
-- index costs next to nothing to maintain.
-- Rows stored before this migration keep NULL: a first read takes every row.
ALTER TABLE headroom.transactions ADD COLUMN inserted_xid bigint;
ALTER TABLE headroom.transactions ALTER COLUMN inserted_xid SET DEFAULT txid_current();
CREATE INDEX transactions_inserted_xid_idx ON headroom.transactions USING brin (inserted_xid);
