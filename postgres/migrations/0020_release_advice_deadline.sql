-- The advice in Dutch beside the advice (recipients read the one of their
-- language), and the time by which the organisations asked are to decide:
-- 0 where the drafter set none.
ALTER TABLE releases ADD COLUMN advice_nl TEXT NOT NULL DEFAULT '';
ALTER TABLE releases ADD COLUMN deadline BIGINT NOT NULL DEFAULT 0;
