-- Full scoring cycles shared by replicas. A cycle splits the accounts into
-- contiguous account_id ranges (chunks); a replica leases a chunk with
-- FOR UPDATE SKIP LOCKED, scores it, and writes the forecasts and the chunk's
-- completion in one transaction, so every account is scored exactly once per
-- cycle even when a replica dies: its lease expires and another takes it.

CREATE TABLE headroom.scoring_cycles (
  cycle_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  as_of        date NOT NULL,
  started_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz,
  chunks       integer NOT NULL,
  accounts     integer NOT NULL
);
CREATE INDEX scoring_cycles_open_idx ON headroom.scoring_cycles (as_of) WHERE finished_at IS NULL;

CREATE TABLE headroom.scoring_chunks (
  cycle_id       bigint NOT NULL REFERENCES headroom.scoring_cycles ON DELETE CASCADE,
  chunk          integer NOT NULL,
  first_account  text COLLATE "C" NOT NULL,   -- inclusive
  last_account   text COLLATE "C" NOT NULL,   -- inclusive
  leased_by      text,                        -- replica id holding the lease
  lease_until    timestamptz,
  attempts       integer NOT NULL DEFAULT 0,
  done_at        timestamptz,
  done_by        text,
  accounts_scored integer,
  PRIMARY KEY (cycle_id, chunk)
);
CREATE INDEX scoring_chunks_pending_idx ON headroom.scoring_chunks (cycle_id, chunk) WHERE done_at IS NULL;

-- Audit of who scored what: one row per account per cycle (tests and
-- operators count these to check exactly-once scoring).
CREATE TABLE headroom.scoring_log (
  cycle_id    bigint NOT NULL REFERENCES headroom.scoring_cycles ON DELETE CASCADE,
  account_id  text COLLATE "C" NOT NULL,
  scored_by   text NOT NULL,
  PRIMARY KEY (cycle_id, account_id)
);
