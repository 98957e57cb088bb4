-- Two exposure rules (docs/policies.md, "Experiments side by side").
--
-- 1. A policy no longer nudges an account that is in the holdout of another
--    experiment in force (reason held_out_elsewhere), unless it sets
--    nudge_other_holdouts. The check comes before the channels, so its rows
--    carry no channel, like opted_out's.
-- 2. A fresh install ships the default policy in shadow mode: it decides and
--    records what it would send, and messages nobody until an operator sets
--    shadow = false. A database that has decisions already is a running
--    deployment and keeps its policy as it is.
--
-- Re-runnable: the constraints are dropped and re-added, and the update
-- applies only while no decision exists.
ALTER TABLE headroom.nudge_decisions DROP CONSTRAINT IF EXISTS nudge_decisions_reason_check;
ALTER TABLE headroom.nudge_decisions ADD CONSTRAINT nudge_decisions_reason_check CHECK (reason IN (
  'none', 'policy_inactive', 'buffer_mismatch', 'below_threshold', 'low_confidence', 'outside_lead_time',
  'opted_out', 'held_out_elsewhere', 'no_contact', 'already_nudged', 'frequency_cap', 'global_cap',
  'quiet_hours', 'shadow'));

ALTER TABLE headroom.nudge_decisions DROP CONSTRAINT IF EXISTS nudge_decisions_channel_known;
ALTER TABLE headroom.nudge_decisions ADD CONSTRAINT nudge_decisions_channel_known CHECK (
  channel IS NOT NULL
  OR reason IN ('policy_inactive', 'buffer_mismatch', 'below_threshold', 'low_confidence', 'outside_lead_time',
                'opted_out', 'held_out_elsewhere'));

UPDATE headroom.nudge_policies
SET definition = definition || '{"shadow": true}'::jsonb
WHERE name = 'default'
  AND definition->'shadow' IS DISTINCT FROM 'true'::jsonb
  AND NOT EXISTS (SELECT 1 FROM headroom.nudge_decisions);
