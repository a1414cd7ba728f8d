-- Remote TAXII 2.1 collections Mosaic polls (package feed), with how far
-- each has been read. The remote secret is not here, only the path of the
-- file that holds it. Envelope columns are NULL when the feed leaves them
-- to the local user's organisation. Times are Unix microseconds, 0 for
-- never.
CREATE TABLE feeds (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE,
	url TEXT NOT NULL,
	collection TEXT NOT NULL,
	user_id INTEGER NOT NULL REFERENCES users (id),
	remote_user TEXT NOT NULL,
	token_file TEXT NOT NULL,
	audience TEXT,
	orcon INTEGER,
	legal_basis TEXT,
	review_by TEXT,
	interval_us BIGINT NOT NULL,
	created BIGINT NOT NULL,
	added_after TEXT NOT NULL DEFAULT '',
	last_poll BIGINT NOT NULL DEFAULT 0,
	last_success BIGINT NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT '',
	failures INTEGER NOT NULL DEFAULT 0,
	next_poll BIGINT NOT NULL DEFAULT 0,
	imported BIGINT NOT NULL DEFAULT 0,
	unchanged BIGINT NOT NULL DEFAULT 0,
	rejected BIGINT NOT NULL DEFAULT 0,
	last_rejection TEXT NOT NULL DEFAULT ''
);
