-- Whether a release ever asked for consent (a revision not on hold). The
-- organisations asked see it from then on, a discarded one too; a draft
-- discarded while on hold asked nobody, and nobody but its drafters is to
-- learn of it.
ALTER TABLE releases ADD COLUMN asked INTEGER NOT NULL DEFAULT 0;
UPDATE releases SET asked = 1 WHERE state <> 'draft';
