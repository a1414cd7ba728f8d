-- Each organisation's STIX identity (identity--UUID), bound to it: objects
-- naming it as their creator (created_by_ref) are accepted from that
-- organisation only. Existing organisations get a random version-4 UUID.
ALTER TABLE orgs ADD COLUMN identity TEXT COLLATE "C" NOT NULL DEFAULT '';
UPDATE orgs SET identity = 'identity--' || gen_random_uuid()::text;
CREATE UNIQUE INDEX orgs_identity ON orgs (identity);
