-- The status of each upload (TAXII's status resource), readable by the
-- user who made it.
CREATE TABLE upload_statuses (
	id TEXT PRIMARY KEY,
	user_name TEXT NOT NULL,
	created BIGINT NOT NULL,
	body BYTEA NOT NULL
);
