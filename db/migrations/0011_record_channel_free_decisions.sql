-- A decision suppressed before the planner looks at channels (policy
-- inactive, buffer mismatch, below threshold, low confidence, outside the lead
-- time, opted out) holds for every channel of the policy; it is now one row
-- with channel NULL instead of one identical row per channel. Below-threshold
-- decisions are most of a cycle's rows, so this halves what a cycle writes
-- for a two-channel policy. Rows written before keep their channel.
ALTER TABLE headroom.nudge_decisions ALTER COLUMN channel DROP NOT NULL;
ALTER TABLE headroom.nudge_decisions ADD CONSTRAINT nudge_decisions_channel_known CHECK (
  channel IS NOT NULL
  OR reason IN ('policy_inactive', 'buffer_mismatch', 'below_threshold', 'low_confidence', 'outside_lead_time',
                'opted_out'));
