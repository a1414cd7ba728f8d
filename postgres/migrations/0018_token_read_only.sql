-- Whether a token may only read (GET and HEAD): what a SIEM polling a
-- TAXII collection needs, and no more, should the machine that keeps it be
-- taken. Tokens made before stay as they were, read-write.
ALTER TABLE tokens ADD COLUMN read_only INTEGER NOT NULL DEFAULT 0;
