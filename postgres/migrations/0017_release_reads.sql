-- When a recipient first read a published release (its snapshot, its
-- page, an export): per organisation, and per user for a release that
-- reached the user by name (user_id set), so that the drafters see who
-- received, read and acted. Only the first read is kept; a later one
-- changes nothing. The picture counts reads per organisation, hence the
-- organisation on every row.
CREATE TABLE release_reads (
	release_seq BIGINT NOT NULL REFERENCES releases (seq),
	org_id BIGINT NOT NULL REFERENCES orgs (id),
	user_id BIGINT REFERENCES users (id),
	first_read BIGINT NOT NULL
);
CREATE UNIQUE INDEX release_reads_key ON release_reads (release_seq, org_id, COALESCE(user_id, 0));

-- The picture counts the sightings and the releases of the last 30 days.
CREATE INDEX release_sightings_time ON release_sightings (time);
CREATE INDEX releases_published ON releases (published) WHERE published IS NOT NULL;
