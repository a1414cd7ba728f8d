-- The outbox: notifications written in the transaction of the event they
-- tell of (mosaic.Notification), delivered by workers that lease them.
-- id is derived from the event and the recipient, so a delivery repeated
-- after a crash carries the same one. No content: a kind and the id of
-- what it is about.
CREATE TABLE notifications (
	seq INTEGER PRIMARY KEY,
	id TEXT NOT NULL UNIQUE,
	kind TEXT NOT NULL,
	channel TEXT NOT NULL,
	user_id INTEGER NOT NULL REFERENCES users (id),
	subject TEXT NOT NULL,
	state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'dead')),
	attempts INTEGER NOT NULL DEFAULT 0,
	next_attempt BIGINT NOT NULL,
	last_error TEXT NOT NULL DEFAULT '',
	created BIGINT NOT NULL,
	sent BIGINT,
	claimed_by TEXT NOT NULL DEFAULT '',
	lease_until BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX notifications_due ON notifications (state, next_attempt, seq);
