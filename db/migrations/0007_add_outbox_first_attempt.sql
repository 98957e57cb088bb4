-- The email retry deadline counts from a row's first delivery attempt, not
-- from its creation: a nudge deferred by quiet hours starts its clock when it
-- first becomes due. Set by the claim (COALESCE keeps the first value).
ALTER TABLE headroom.nudge_outbox ADD COLUMN first_attempt_at timestamptz;
