-- The shipped `default` policy looks further ahead and at lower risk: nudge
-- when P(balance < 0 on some day of the window) >= 0.2 and the first risky day
-- is 1–14 days away (was 0.5 and 1–5). Measured with `headroom experiment`
-- (2,000 simulated accounts, seed 42, 35 days; the simulator's truth over
-- the treatment arm, docs/results.md): the old policy avoided 7.3% of
-- overdraft weeks, this one 17.0%, and fees fell 16% instead of 6%. Caps are
-- unchanged (one nudge per 7 days per policy, two across policies), so
-- customers are nudged earlier, not more often.
-- A bank that has edited its default policy keeps its own: only the
-- definition exactly as shipped in 0002 is replaced.
UPDATE headroom.nudge_policies
SET definition = '{"risk_threshold": 0.2,
    "buffer": "0.00",
    "lead_time_days": {"min": 1, "max": 14},
    "channels": ["in_app", "email"],
    "frequency_cap": {"max_nudges": 1, "window_days": 7},
    "global_cap": {"max_nudges": 2, "window_days": 7},
    "quiet_hours": {"start": "21:00", "end": "08:00"},
    "holdout_share": 0.10,
    "experiment": "default",
    "shadow": false}'::jsonb
WHERE name = 'default'
  AND definition = '{"risk_threshold": 0.5,
    "buffer": "0.00",
    "lead_time_days": {"min": 1, "max": 5},
    "channels": ["in_app", "email"],
    "frequency_cap": {"max_nudges": 1, "window_days": 7},
    "global_cap": {"max_nudges": 2, "window_days": 7},
    "quiet_hours": {"start": "21:00", "end": "08:00"},
    "holdout_share": 0.10,
    "experiment": "default",
    "shadow": false}'::jsonb;
