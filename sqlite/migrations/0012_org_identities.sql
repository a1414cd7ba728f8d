-- Each organisation's STIX identity (identity--UUID), bound to it: objects
-- naming it as their creator (created_by_ref) are accepted from that
-- organisation only. Existing organisations get a random version-4 UUID.
ALTER TABLE orgs ADD COLUMN identity TEXT NOT NULL DEFAULT '';
UPDATE orgs SET identity = 'identity--' || lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4'
	|| substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + abs(random() % 4), 1)
	|| substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)));
CREATE UNIQUE INDEX orgs_identity ON orgs (identity);
