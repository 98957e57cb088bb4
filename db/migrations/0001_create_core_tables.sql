-- Core tables: the source contract for transactions, accounts, quarantine.
-- headroom.schema_migrations is created by the migrator itself (it must exist
-- before this file can be recorded).

CREATE SCHEMA IF NOT EXISTS headroom;

-- Source contract (DESIGN.md). Money as numeric(18,2): the contract's decimal
-- form, readable by the bank's analysts, exact; the engine converts to int64
-- cents on read. Keys use the "C" collation: byte order is all the engine
-- needs, and it makes the two btrees several times cheaper to build and probe
-- than a locale collation.
CREATE TABLE headroom.transactions (
  account_id    text COLLATE "C" NOT NULL,
  txn_id        text COLLATE "C" NOT NULL,
  posted_at     date NOT NULL,
  amount        numeric(18, 2) NOT NULL,       -- credit > 0, debit < 0
  balance_after numeric(18, 2),                -- NULL: not given by the bank
  description   text NOT NULL DEFAULT '',
  kind          text NOT NULL DEFAULT '',
  CONSTRAINT transactions_pkey PRIMARY KEY (account_id, txn_id)
);
-- Per-account history in posted order. Readers order by (account_id,
-- posted_at, txn_id); ties within a day are few, so an incremental sort on
-- top of this index is cheap, while leaving txn_id out makes the index about a
-- third cheaper to build (measured on 1M rows) and lets btree deduplication
-- compress the many transactions an account posts on one day.
CREATE INDEX transactions_account_posted_idx ON headroom.transactions (account_id, posted_at);

CREATE TABLE headroom.accounts (
  account_id    text COLLATE "C" PRIMARY KEY,
  time_zone     text NOT NULL DEFAULT 'UTC',      -- IANA name; posted dates are civil dates in it
  currency      char(3) NOT NULL DEFAULT 'USD',   -- ISO 4217
  locale        text,                             -- BCP 47, e.g. 'en-US'; NULL = engine default
  email         text,                             -- NULL: no email channel for this account
  email_consent boolean NOT NULL DEFAULT false,
  opted_out_at  timestamptz,                      -- set: no nudges of any kind from then on
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- Rows refused by an import or by the engine, kept with the reason so that
-- the bank can fix its feed; nothing reads them back automatically.
CREATE TABLE headroom.quarantined_transactions (
  id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  source   text NOT NULL,         -- e.g. the imported file's path, or 'engine'
  line     bigint,                -- 1-based line in `source`, when it is a file
  field    text,                  -- the contract column at fault, or 'record'
  raw      text NOT NULL,         -- the row as received (invalid UTF-8 escaped as \xNN)
  reason   text NOT NULL,
  seen_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX quarantined_transactions_seen_at_idx ON headroom.quarantined_transactions (seen_at);
