-- Every cycle replaces every account's forecast row. With full pages the new
-- version lands on another page and the primary key gets a new entry; with
-- half of each page free, the update stays on its page (a HOT update) and
-- the index is not touched. Measured on 20,000 forecast rows: an upsert of
-- all of them took 0.43-0.48 s instead of 0.90-0.99 s, and all 60,000 updates
-- of three rounds were HOT (14 of 60,000 at the default fill factor).
-- Applies to pages written from now on; `VACUUM FULL headroom.forecasts`
-- rewrites existing ones.
ALTER TABLE headroom.forecasts SET (fillfactor = 50);
