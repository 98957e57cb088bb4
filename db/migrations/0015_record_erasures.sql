-- Erasure of a customer's data (`headroom forget`, POST /v1/accounts/{id}/forget;
-- db/erasure.hpp, docs/privacy.md). One row per erased account, written by
-- the erasure's own transaction after it has removed the address and the
-- rendered copy; a second erasure finds the row and changes nothing.
-- The bank's opaque account id is kept here: it is what keeps the erasure in
-- force (below) and what shows that the request was carried out. It is
-- pseudonymous, not anonymous: docs/privacy.md says why it stays.
-- IF NOT EXISTS / OR REPLACE throughout: a rerun of this migration (a
-- database restored from before its bookkeeping row) leaves what it finds.
CREATE TABLE IF NOT EXISTS headroom.erasures (
  account_id            text COLLATE "C" PRIMARY KEY,
  erased_at             timestamptz NOT NULL DEFAULT now(),
  source                text NOT NULL CHECK (source IN ('cli', 'api')),
  -- What the first erasure removed, for the bank's record of the request.
  email_erased          boolean NOT NULL,   -- an address or a consent was removed
  deliveries_cancelled  integer NOT NULL,   -- pending outbox rows (email and in-app) cancelled
  outbox_rows_erased    integer NOT NULL,   -- outbox rows whose rendered copy was removed
  nudges_erased         integer NOT NULL,   -- in-app nudges whose text was removed
  quarantined_deleted   integer NOT NULL    -- rejected feed rows of the account deleted
);

-- An erased account's contact data stays erased whoever writes the row
-- later: the bank's feed re-sending its address and consent (an UPDATE or an
-- upsert as headroom_feed), a simulation's upsert, an opt-out being cleared.
-- The planner and the sender, which read headroom.accounts, then see an
-- opted-out account without an address. SECURITY DEFINER (the schema
-- owner's rights, a fixed search_path): the feed role, whose writes fire it,
-- needs no right on headroom.erasures, so an existing feed keeps working
-- after this migration without a new grant. Cost: one index probe per
-- written row, about 7 µs (docs/performance.md, "Nudges").
CREATE OR REPLACE FUNCTION headroom.keep_erased_contacts_erased() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  erased timestamptz;
BEGIN
  SELECT e.erased_at INTO erased FROM headroom.erasures e WHERE e.account_id = NEW.account_id;
  IF FOUND THEN
    NEW.email := NULL;
    NEW.email_consent := false;
    NEW.opted_out_at := coalesce(NEW.opted_out_at, erased);
  END IF;
  RETURN NEW;
END;
$$;

DROP TRIGGER IF EXISTS accounts_keep_erased_contacts_erased ON headroom.accounts;
CREATE TRIGGER accounts_keep_erased_contacts_erased
  BEFORE INSERT OR UPDATE ON headroom.accounts
  FOR EACH ROW EXECUTE FUNCTION headroom.keep_erased_contacts_erased();
