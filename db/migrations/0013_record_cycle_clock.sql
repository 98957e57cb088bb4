-- Which clock a scoring cycle's nudges were planned and delivered on:
-- 'wall' (the daemon following the system clock), 'replay' (`headroom run
-- --once --as-of` a day other than today: planned and delivered as of 16:00
-- UTC that day) or 'simulated' (`headroom experiment`). The report states the
-- clocks of the cycles in its period, so an analyst knows whether the
-- nudges it counts went out in real time.
-- IF NOT EXISTS: a rerun of this migration (a database restored from before
-- its bookkeeping row) finds the column and leaves it.
ALTER TABLE headroom.scoring_cycles
  ADD COLUMN IF NOT EXISTS clock text NOT NULL DEFAULT 'wall'
    CONSTRAINT scoring_cycles_clock_check CHECK (clock IN ('wall', 'replay', 'simulated'));
