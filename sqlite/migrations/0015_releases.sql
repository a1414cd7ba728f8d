-- Releases (mosaic.Release): what leaves the cell, with the consent of
-- every organisation whose information it holds. A release is found by its
-- id, a UUID that tells nothing of how many there are; seq is its creation
-- order, which listings page by, and what the other tables refer to.
-- Recipients are kept as written ("public", "sector:NAME", "org:NAME",
-- "user:NAME", joined by spaces, which none contains) and resolved only at
-- publish, into release_deliveries. The publication (bundle, record,
-- digest) and the withdrawal are columns of the release: each happens
-- once. JSON that comes from outside is kept as bytes, as records' objects
-- are, so that both stores keep it byte for byte.
CREATE TABLE releases (
	seq INTEGER PRIMARY KEY,
	id TEXT NOT NULL UNIQUE,
	revision INTEGER NOT NULL,
	state TEXT NOT NULL CHECK (state IN ('draft', 'awaiting-consent', 'ready', 'published', 'withdrawn')),
	title TEXT NOT NULL,
	advice TEXT NOT NULL,
	recipients TEXT NOT NULL,
	dangling TEXT NOT NULL,
	-- As drafted; at publish, the level after sanitisation.
	tlp TEXT NOT NULL,
	drafter_id INTEGER NOT NULL REFERENCES users (id),
	drafter_org_id INTEGER NOT NULL REFERENCES orgs (id),
	supersedes TEXT NOT NULL DEFAULT '',
	created INTEGER NOT NULL,
	updated INTEGER NOT NULL,
	published INTEGER,
	digest TEXT NOT NULL DEFAULT '',
	bundle BLOB,
	-- The cell-side record bound to the digests; never served to a
	-- recipient.
	record BLOB,
	withdrawn INTEGER,
	withdraw_reason TEXT NOT NULL DEFAULT '',
	withdrawal BLOB
);
CREATE INDEX releases_drafter_org ON releases (drafter_org_id, seq);

-- The contributions a release holds, copied when drafted, so that what the
-- organisations asked approve is what is published. pos keeps the
-- drafter's order.
CREATE TABLE release_items (
	release_seq INTEGER NOT NULL REFERENCES releases (seq),
	pos INTEGER NOT NULL,
	role TEXT NOT NULL CHECK (role IN ('object', 'source')),
	stix_id TEXT NOT NULL,
	type TEXT NOT NULL,
	modified TEXT NOT NULL,
	originator INTEGER NOT NULL REFERENCES orgs (id),
	tlp TEXT NOT NULL,
	orcon INTEGER NOT NULL,
	legal_basis TEXT NOT NULL,
	object BLOB NOT NULL,
	PRIMARY KEY (release_seq, pos)
);

-- One row per organisation asked; a revision puts every row back to
-- pending. The index finds the releases an organisation is asked about,
-- for its listing.
CREATE TABLE release_consents (
	release_seq INTEGER NOT NULL REFERENCES releases (seq),
	org_id INTEGER NOT NULL REFERENCES orgs (id),
	state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'refused')),
	revision INTEGER NOT NULL DEFAULT 0,
	reason TEXT NOT NULL DEFAULT '',
	sanitise BLOB,
	attribute INTEGER NOT NULL DEFAULT 0,
	decided_by INTEGER REFERENCES users (id),
	decided INTEGER,
	PRIMARY KEY (release_seq, org_id)
);
CREATE INDEX release_consents_org ON release_consents (org_id, release_seq);

-- The signature over each recipient's snapshot.
CREATE TABLE release_seals (
	release_seq INTEGER NOT NULL REFERENCES releases (seq),
	recipient TEXT NOT NULL,
	digest TEXT NOT NULL,
	key_id TEXT NOT NULL,
	signature BLOB NOT NULL,
	PRIMARY KEY (release_seq, recipient)
);

-- Whom a published release reached, resolved once at publish: a sector
-- becomes the stakeholder organisations in it then, so that who received
-- it does not change when an organisation's sectors do. A user delivery
-- carries no organisation, so that what only a user may see (TLP:RED)
-- never lands in its organisation's collection; a public one neither.
-- recipient is the addressing the snapshot was sealed for.
CREATE TABLE release_deliveries (
	release_seq INTEGER NOT NULL REFERENCES releases (seq),
	kind TEXT NOT NULL,
	recipient TEXT NOT NULL,
	org_id INTEGER REFERENCES orgs (id),
	user_id INTEGER REFERENCES users (id),
	CHECK ((kind = 'public' AND org_id IS NULL AND user_id IS NULL)
		OR (kind IN ('sector', 'org') AND org_id IS NOT NULL AND user_id IS NULL)
		OR (kind = 'user' AND org_id IS NULL AND user_id IS NOT NULL))
);
CREATE UNIQUE INDEX release_deliveries_key ON release_deliveries (release_seq, recipient, COALESCE(org_id, 0));
CREATE INDEX release_deliveries_org ON release_deliveries (org_id, release_seq) WHERE org_id IS NOT NULL;
CREATE INDEX release_deliveries_user ON release_deliveries (user_id, release_seq) WHERE user_id IS NOT NULL;

-- The objects recipients get, in the order they were added: a collection
-- (TAXII) pages by seq. A withdrawal adds the revoked versions after.
CREATE TABLE released_objects (
	seq INTEGER PRIMARY KEY,
	release_seq INTEGER NOT NULL REFERENCES releases (seq),
	stix_id TEXT NOT NULL,
	type TEXT NOT NULL,
	modified TEXT NOT NULL,
	object BLOB NOT NULL,
	revoked INTEGER NOT NULL,
	added INTEGER NOT NULL
);
CREATE INDEX released_objects_release ON released_objects (release_seq, seq);
CREATE INDEX released_objects_stix_id ON released_objects (stix_id);

-- When each released SDO and SRO was first published: a later release of
-- the same source, sanitised alike, keeps that as its created time.
CREATE TABLE released_ids (
	id TEXT PRIMARY KEY,
	first_published INTEGER NOT NULL
);

-- What recipients report on a release, counted per organisation against
-- the store's limits.
CREATE TABLE release_receipts (
	seq INTEGER PRIMARY KEY,
	release_seq INTEGER NOT NULL REFERENCES releases (seq),
	org_id INTEGER NOT NULL REFERENCES orgs (id),
	user_id INTEGER NOT NULL REFERENCES users (id),
	status TEXT NOT NULL CHECK (status IN ('received', 'in-progress', 'applied', 'not-affected', 'need-help')),
	comment TEXT NOT NULL,
	time INTEGER NOT NULL
);
CREATE INDEX release_receipts_release ON release_receipts (release_seq, org_id);

CREATE TABLE release_sightings (
	seq INTEGER PRIMARY KEY,
	release_seq INTEGER NOT NULL REFERENCES releases (seq),
	org_id INTEGER NOT NULL REFERENCES orgs (id),
	user_id INTEGER NOT NULL REFERENCES users (id),
	sighting BLOB NOT NULL,
	time INTEGER NOT NULL
);
CREATE INDEX release_sightings_release ON release_sightings (release_seq, org_id);
