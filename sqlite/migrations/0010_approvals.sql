-- Four eyes on every change of who sees content (mosaic.ChangeRequest):
-- an admin asks, an approver of the organisation concerned decides.
-- Approvers are liaisons whose right to approve was given by the operator
-- (the break-glass command line) or by an existing approver.
ALTER TABLE users ADD COLUMN approver INTEGER NOT NULL DEFAULT 0;

CREATE TABLE change_requests (
	id INTEGER PRIMARY KEY,
	kind TEXT NOT NULL,
	-- The organisation whose approver decides; NULL: any partner's.
	org_id INTEGER REFERENCES orgs (id),
	subject TEXT NOT NULL,
	change TEXT NOT NULL,
	summary TEXT NOT NULL,
	requested_by INTEGER NOT NULL REFERENCES users (id),
	requested INTEGER NOT NULL,
	expires INTEGER NOT NULL,
	status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'refused')),
	decided_by INTEGER REFERENCES users (id),
	decided INTEGER,
	reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX change_requests_pending ON change_requests (status, org_id);

-- One-time codes with which a user sets a password nobody else chose. Only
-- the SHA-256 of a code is kept; the code itself is shown once, to whoever
-- approved the change that made it.
CREATE TABLE password_codes (
	user_id INTEGER PRIMARY KEY REFERENCES users (id),
	hash BLOB NOT NULL,
	expires INTEGER NOT NULL
);
