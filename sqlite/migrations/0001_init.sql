-- Times are Unix microseconds. Booleans are 0 or 1, as in PostgreSQL's
-- schema, so that the SQL in package sqlstore runs unchanged on both.
CREATE TABLE orgs (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE,
	full_name TEXT NOT NULL,
	kind TEXT NOT NULL CHECK (kind IN ('partner', 'stakeholder', 'oversight')),
	legal_regime TEXT NOT NULL DEFAULT '',
	sectors TEXT NOT NULL DEFAULT '',
	contact TEXT NOT NULL DEFAULT '',
	default_audience TEXT NOT NULL DEFAULT 'originator',
	created INTEGER NOT NULL
);

CREATE TABLE users (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE,
	org_id INTEGER NOT NULL REFERENCES orgs (id),
	role TEXT NOT NULL CHECK (role IN ('analyst', 'liaison', 'stakeholder', 'auditor', 'admin')),
	display_name TEXT NOT NULL DEFAULT '',
	email TEXT NOT NULL DEFAULT '',
	content_grant INTEGER NOT NULL DEFAULT 0,
	disabled INTEGER NOT NULL DEFAULT 0,
	password_hash TEXT NOT NULL DEFAULT '',
	created INTEGER NOT NULL
);
CREATE INDEX users_org ON users (org_id);

CREATE TABLE tokens (
	id INTEGER PRIMARY KEY,
	user_id INTEGER NOT NULL REFERENCES users (id),
	hash BLOB NOT NULL UNIQUE,
	label TEXT NOT NULL DEFAULT '',
	created INTEGER NOT NULL,
	expires INTEGER NOT NULL,
	revoked INTEGER
);
CREATE INDEX tokens_user ON tokens (user_id);

CREATE TABLE compartments (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE,
	description TEXT NOT NULL DEFAULT '',
	created INTEGER NOT NULL
);

CREATE TABLE compartment_members (
	compartment_id INTEGER NOT NULL REFERENCES compartments (id),
	org_id INTEGER REFERENCES orgs (id),
	user_id INTEGER REFERENCES users (id),
	CHECK ((org_id IS NULL) <> (user_id IS NULL))
);
CREATE UNIQUE INDEX compartment_members_org ON compartment_members (compartment_id, org_id) WHERE org_id IS NOT NULL;
CREATE UNIQUE INDEX compartment_members_user ON compartment_members (compartment_id, user_id) WHERE user_id IS NOT NULL;
CREATE INDEX compartment_members_by_org ON compartment_members (org_id);
CREATE INDEX compartment_members_by_user ON compartment_members (user_id);

-- A visibility class: the originator and who else may see its records.
-- compartments repeats the ids of audience_compartments as a sorted list so
-- that the triple can be unique.
CREATE TABLE audiences (
	id INTEGER PRIMARY KEY,
	originator INTEGER NOT NULL REFERENCES orgs (id),
	cell INTEGER NOT NULL,
	compartments TEXT NOT NULL,
	UNIQUE (originator, cell, compartments)
);

CREATE TABLE audience_compartments (
	audience_id INTEGER NOT NULL REFERENCES audiences (id),
	compartment_id INTEGER NOT NULL REFERENCES compartments (id),
	PRIMARY KEY (audience_id, compartment_id)
);
CREATE INDEX audience_compartments_by_compartment ON audience_compartments (compartment_id);

-- One originator's contribution of one version of a STIX object.
CREATE TABLE records (
	seq INTEGER PRIMARY KEY,
	stix_id TEXT NOT NULL,
	type TEXT NOT NULL,
	originator INTEGER NOT NULL REFERENCES orgs (id),
	audience_id INTEGER NOT NULL REFERENCES audiences (id),
	modified_key TEXT NOT NULL,
	created_key TEXT NOT NULL,
	tlp TEXT NOT NULL,
	orcon INTEGER NOT NULL,
	legal_basis TEXT NOT NULL,
	review_by TEXT NOT NULL,
	added INTEGER NOT NULL,
	hash BLOB NOT NULL,
	object BLOB NOT NULL,
	superseded INTEGER NOT NULL,
	multi INTEGER NOT NULL,
	UNIQUE (stix_id, originator, modified_key)
);
CREATE INDEX records_type ON records (type, seq);
CREATE INDEX records_audience ON records (audience_id, seq);
CREATE INDEX records_multi ON records (stix_id) WHERE multi = 1;

-- Heads of single-audience chains, per audience, type and TLP.
CREATE TABLE record_counts (
	audience_id INTEGER NOT NULL REFERENCES audiences (id),
	type TEXT NOT NULL,
	tlp TEXT NOT NULL,
	n INTEGER NOT NULL,
	PRIMARY KEY (audience_id, type, tlp)
);

-- The terms of package search, one token each: words as they are (the ascii
-- tokenizer splits only on ASCII punctuation and space, which words never
-- contain), observables as "§" and their hex encoding ("§" is no letter or
-- digit, so no word starts with it). detail = none keeps neither positions
-- nor columns: the queries need neither, and inserts are much cheaper.
CREATE VIRTUAL TABLE record_text USING fts5 (
	terms,
	content = '', contentless_delete = 1, tokenize = 'ascii', detail = 'none'
);

CREATE TABLE audit (
	seq INTEGER PRIMARY KEY,
	time INTEGER NOT NULL,
	user_id INTEGER,
	user_name TEXT NOT NULL,
	org TEXT NOT NULL,
	action TEXT NOT NULL,
	object_ids TEXT NOT NULL,
	decision TEXT NOT NULL,
	detail TEXT NOT NULL
);
