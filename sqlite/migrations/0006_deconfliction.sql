-- Deconfliction (package deconflict). Only tokens are kept: VOPRF outputs
-- that nobody can recompute without the evaluator's key, which is never in
-- this database.

-- The evaluator's published epoch keys, signed by its signing key.
CREATE TABLE deconfliction_epochs (
	epoch INTEGER PRIMARY KEY,
	suite TEXT NOT NULL,
	public_key BLOB NOT NULL,
	not_before INTEGER NOT NULL,
	signer BLOB NOT NULL,
	signature BLOB NOT NULL,
	published INTEGER NOT NULL
);

-- One organisation's interest in one token under its own reference.
CREATE TABLE deconfliction_registrations (
	id INTEGER PRIMARY KEY,
	org_id INTEGER NOT NULL REFERENCES orgs (id),
	epoch INTEGER NOT NULL,
	token BLOB NOT NULL,
	selector_type TEXT NOT NULL,
	ref TEXT NOT NULL,
	created INTEGER NOT NULL,
	expires INTEGER NOT NULL,
	UNIQUE (org_id, epoch, token, ref)
);
-- Matching looks tokens up across organisations.
CREATE INDEX deconfliction_registrations_token ON deconfliction_registrations (epoch, token);
CREATE INDEX deconfliction_registrations_org ON deconfliction_registrations (org_id, ref);
-- Expired registrations are purged, so that tokens nobody needs any more
-- are not kept for whoever might one day hold both them and the key.
CREATE INDEX deconfliction_registrations_expires ON deconfliction_registrations (expires);

CREATE TABLE deconfliction_hits (
	id INTEGER PRIMARY KEY,
	created INTEGER NOT NULL,
	epoch INTEGER NOT NULL,
	selector_type TEXT NOT NULL,
	kind TEXT NOT NULL CHECK (kind IN ('register', 'check')),
	org_id INTEGER NOT NULL REFERENCES orgs (id),
	ref TEXT NOT NULL,
	holder_org_id INTEGER NOT NULL REFERENCES orgs (id),
	holder_ref TEXT NOT NULL
);
CREATE INDEX deconfliction_hits_org ON deconfliction_hits (org_id);
CREATE INDEX deconfliction_hits_holder ON deconfliction_hits (holder_org_id);

-- Evaluations and submitted tokens per organisation and UTC day, so that
-- the budgets hold across restarts and between processes sharing the
-- database.
CREATE TABLE deconfliction_budgets (
	org_id INTEGER NOT NULL REFERENCES orgs (id),
	pool TEXT NOT NULL,
	day TEXT NOT NULL,
	used INTEGER NOT NULL,
	PRIMARY KEY (org_id, pool, day)
);

-- Request ids seen, so that a captured request cannot be replayed.
CREATE TABLE deconfliction_requests (
	request_id TEXT PRIMARY KEY,
	org_id INTEGER NOT NULL REFERENCES orgs (id),
	created INTEGER NOT NULL
);
