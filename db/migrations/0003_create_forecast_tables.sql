-- The latest forecast of each account, written by the scoring cycle and by
-- incremental re-forecasts. One row per account (replaced), plus one row per
-- forecast day. Money in integer cents (bigint), probabilities in [0, 1].

CREATE TABLE headroom.forecasts (
  account_id             text COLLATE "C" PRIMARY KEY,
  as_of                  date NOT NULL,             -- first day of the window (its transactions unseen)
  horizon_days           integer NOT NULL CHECK (horizon_days > 0),
  cycle_id               bigint,                    -- full cycle that wrote it; NULL for incremental
  start_balance_cents    bigint NOT NULL,           -- end-of-day balance of as_of - 1
  buffer_cents           bigint NOT NULL DEFAULT 0,
  p_overdraft_window     double precision NOT NULL CHECK (p_overdraft_window BETWEEN 0 AND 1),
  p_below_buffer_window  double precision NOT NULL CHECK (p_below_buffer_window BETWEEN 0 AND 1),
  first_risky_day        date,                      -- NULL: no day reaches the risk threshold
  model_kind             text NOT NULL,             -- 'full' or 'fallback'
  fallback_reason        text,                      -- NULL unless model_kind = 'fallback'
  summary                text NOT NULL DEFAULT '',  -- one-line English explanation of the first risky day
  drivers                jsonb NOT NULL DEFAULT '[]',
  anomalies              jsonb NOT NULL DEFAULT '[]',
  computed_at            timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE headroom.risk_days (
  account_id      text COLLATE "C" NOT NULL,
  day             date NOT NULL,
  p_below_zero    double precision NOT NULL,
  p_below_buffer  double precision NOT NULL,
  p10_cents       bigint NOT NULL,
  p50_cents       bigint NOT NULL,
  p90_cents       bigint NOT NULL,
  PRIMARY KEY (account_id, day)
);
