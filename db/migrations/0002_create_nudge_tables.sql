-- Nudges: policies, every planner decision, in-app nudges and the delivery
-- outbox. The planner (nudges/planner.hpp) is pure; these tables are where its
-- decisions become effects, exactly once:
--   one transaction writes the decision rows and, for sends, the outbox row
--   (and the pending in-app row); a sender claims due outbox rows with
--   FOR UPDATE SKIP LOCKED, delivers, then marks them sent. A row claimed but
--   never marked (crash) is claimed again after its lease and resent with the
--   same Message-ID. The unique dedupe key (account, policy, risky day,
--   channel) makes re-planning the same risky day a no-op.
-- NOTIFY channels (sent at commit by the triggers below):
--   headroom_policies  policy name   a policy row changed: reload without restart
--   headroom_outbox    channel       new outbox work: wake the sender
--   headroom_nudges    nudge_id      an in-app nudge became available: push to the feed

-- Policies. `definition` holds every field of nudges::Policy except name and
-- active (docs/policies.md); the db layer merges the two columns in and
-- validates with nudges::parse_policy_json, so a bad row is reported with the
-- policy and field instead of being half-applied.
CREATE TABLE headroom.nudge_policies (
  name        text COLLATE "C" PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9._-]+$'),
  active      boolean NOT NULL DEFAULT true,
  definition  jsonb NOT NULL DEFAULT '{}'
              CHECK (jsonb_typeof(definition) = 'object' AND NOT definition ? 'name' AND NOT definition ? 'active'),
  version     bigint NOT NULL DEFAULT 1,       -- bumped on every update; recorded on each decision
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION headroom.nudge_policies_touch() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.version := OLD.version + 1;
  NEW.updated_at := now();
  RETURN NEW;
END;
$$;

CREATE TRIGGER nudge_policies_touch
  BEFORE UPDATE ON headroom.nudge_policies
  FOR EACH ROW EXECUTE FUNCTION headroom.nudge_policies_touch();

CREATE FUNCTION headroom.notify_policy_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('headroom_policies', COALESCE(NEW.name, OLD.name));
  RETURN NULL;
END;
$$;

CREATE TRIGGER nudge_policies_notify
  AFTER INSERT OR UPDATE OR DELETE ON headroom.nudge_policies
  FOR EACH ROW EXECUTE FUNCTION headroom.notify_policy_change();

-- The shipped policy (DESIGN.md): a fresh install nudges without configuration.
-- No "variants" key: the built-in copy (nudges::default_copy_variant) is used.
INSERT INTO headroom.nudge_policies (name, active, definition) VALUES (
  'default', true,
  '{"risk_threshold": 0.5,
    "buffer": "0.00",
    "lead_time_days": {"min": 1, "max": 5},
    "channels": ["in_app", "email"],
    "frequency_cap": {"max_nudges": 1, "window_days": 7},
    "global_cap": {"max_nudges": 2, "window_days": 7},
    "quiet_hours": {"start": "21:00", "end": "08:00"},
    "holdout_share": 0.10,
    "experiment": "default",
    "shadow": false}'
);

-- Every planner decision, including suppressed ones, so analysts can count
-- everyone assigned to each arm (intention-to-treat). One row per channel.
CREATE TABLE headroom.nudge_decisions (
  decision_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  decided_at      timestamptz NOT NULL,             -- the planner's `now`
  account_id      text COLLATE "C" NOT NULL,
  policy          text COLLATE "C" NOT NULL,
  policy_version  bigint NOT NULL,
  experiment      text NOT NULL,
  arm             text NOT NULL CHECK (arm IN ('treatment', 'holdout')),
  channel         text NOT NULL CHECK (channel IN ('in_app', 'email')),
  outcome         text NOT NULL CHECK (outcome IN ('send', 'holdout', 'suppressed')),
  reason          text NOT NULL CHECK (reason IN (
                    'none', 'policy_inactive', 'buffer_mismatch', 'below_threshold', 'low_confidence',
                    'outside_lead_time', 'opted_out', 'no_contact', 'already_nudged', 'frequency_cap',
                    'global_cap', 'quiet_hours', 'shadow')),
  variant         text,                             -- copy variant name; NULL when suppressed early
  risky_day       date,                             -- the forecast's first risky day
  lead_time_days  integer,                          -- risky_day - account's local today
  deferred_until  timestamptz,                      -- quiet_hours: when the nudge becomes due
  assignment_hash bigint NOT NULL,                  -- the holdout draw (uint64 bits as bigint)
  -- The forecast snapshot the decision used.
  as_of                     date NOT NULL,
  window_probability        double precision NOT NULL CHECK (window_probability BETWEEN 0 AND 1),
  buffer_cents              bigint NOT NULL,
  expected_shortfall_cents  bigint NOT NULL,
  forecast                  jsonb NOT NULL,         -- drivers, model flags, next income
  explanation               text NOT NULL,          -- nudges::explain(), one line
  CHECK ((outcome = 'suppressed') = (reason <> 'none'))
);
CREATE INDEX nudge_decisions_account_idx ON headroom.nudge_decisions (account_id, decided_at);
CREATE INDEX nudge_decisions_experiment_idx ON headroom.nudge_decisions (experiment, decided_at);
-- The "past nudges" the planner reads back (caps, already nudged): decisions
-- that reached or would have reached the customer. At most one per dedupe key,
-- so writing them with ON CONFLICT DO NOTHING is idempotent.
CREATE UNIQUE INDEX nudge_decisions_dedupe_idx
  ON headroom.nudge_decisions (account_id, policy, risky_day, channel)
  WHERE outcome IN ('send', 'holdout') OR reason = 'shadow';

-- In-app nudges: pending (written with the decision) -> available (due, quiet
-- hours over; NOTIFY) -> seen / dismissed by the customer, or expired after
-- the risky day.
CREATE TABLE headroom.nudges (
  nudge_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  decision_id   bigint NOT NULL REFERENCES headroom.nudge_decisions,
  account_id    text COLLATE "C" NOT NULL,
  policy        text COLLATE "C" NOT NULL,
  risky_day     date NOT NULL,
  variant       text NOT NULL,
  body          text NOT NULL,                      -- rendered in-app text
  status        text NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'available', 'seen', 'dismissed', 'expired')),
  available_at  timestamptz NOT NULL,               -- due time (after quiet hours)
  expires_at    timestamptz NOT NULL,               -- end of the risky day in the account's zone
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT nudges_dedupe UNIQUE (account_id, policy, risky_day)
);
CREATE INDEX nudges_feed_idx ON headroom.nudges (account_id, created_at) WHERE status IN ('available', 'seen');
CREATE INDEX nudges_pending_idx ON headroom.nudges (available_at) WHERE status = 'pending';

CREATE FUNCTION headroom.notify_nudge_available() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status = 'available' AND (TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM 'available') THEN
    PERFORM pg_notify('headroom_nudges', NEW.nudge_id::text);
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER nudges_notify
  AFTER INSERT OR UPDATE OF status ON headroom.nudges
  FOR EACH ROW EXECUTE FUNCTION headroom.notify_nudge_available();

-- The delivery outbox: one row per (account, policy, risky day, channel),
-- written in the decision's transaction, before any send. The recipient
-- address is not copied here: the sender reads it (and opted_out_at) from
-- headroom.accounts at send time, so an opt-out between decision and send wins.
CREATE TABLE headroom.nudge_outbox (
  outbox_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  decision_id      bigint NOT NULL REFERENCES headroom.nudge_decisions,
  account_id       text COLLATE "C" NOT NULL,
  policy           text COLLATE "C" NOT NULL,
  risky_day        date NOT NULL,
  channel          text NOT NULL CHECK (channel IN ('in_app', 'email')),
  message_id       text NOT NULL,                   -- stable RFC 5322 Message-ID from the dedupe key
  payload          jsonb NOT NULL,                  -- rendered copy: subject, text, html, in_app, variant
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'cancelled')),
  created_at       timestamptz NOT NULL DEFAULT now(),  -- also the email's Date header (stable on resend)
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),  -- quiet hours and retry backoff move it
  attempts         integer NOT NULL DEFAULT 0,
  claimed_at       timestamptz,                     -- lease start; stale leases are reclaimed
  claimed_by       text,                            -- replica id
  sent_at          timestamptz,
  failed_at        timestamptz,
  last_error       text,                            -- never contains an address
  last_smtp_code   integer,
  CONSTRAINT nudge_outbox_dedupe UNIQUE (account_id, policy, risky_day, channel),
  CHECK ((status = 'sent') = (sent_at IS NOT NULL)),
  CHECK ((status = 'failed') = (failed_at IS NOT NULL))
);
CREATE INDEX nudge_outbox_due_idx ON headroom.nudge_outbox (next_attempt_at) WHERE status = 'pending';

CREATE FUNCTION headroom.notify_outbox() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('headroom_outbox', channel) FROM (SELECT DISTINCT channel FROM new_rows) AS c;
  RETURN NULL;
END;
$$;

CREATE TRIGGER nudge_outbox_notify
  AFTER INSERT ON headroom.nudge_outbox
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION headroom.notify_outbox();
