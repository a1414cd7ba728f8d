-- Web UI sessions, by the SHA-256 hash of the cookie's secret. csrf is the
-- token the session's forms carry; since_seq the records counter at the
-- user's previous sign-in, for "new since your last visit".
CREATE TABLE web_sessions (
	hash BLOB PRIMARY KEY,
	user_id INTEGER NOT NULL REFERENCES users (id),
	csrf TEXT NOT NULL,
	created BIGINT NOT NULL,
	expires BIGINT NOT NULL,
	previous_visit BIGINT NOT NULL,
	since_seq BIGINT NOT NULL
);
CREATE INDEX web_sessions_expires ON web_sessions (expires);

-- Each user's last sign-in and the records counter at that moment.
CREATE TABLE web_visits (
	user_id INTEGER PRIMARY KEY REFERENCES users (id),
	visited BIGINT NOT NULL,
	seq BIGINT NOT NULL
);

-- The situational picture's aggregates, kept by Ingest: (id, originator)
-- chains of the picture's types, counted once in the audience of their
-- first stored version, per hour (Unix hours) of their STIX created time.
-- sector is '' for the count by type; otherwise the row counts the sources
-- of relationships to identities in that sector.
CREATE TABLE picture_counts (
	audience_id INTEGER NOT NULL REFERENCES audiences (id),
	hour BIGINT NOT NULL,
	type TEXT NOT NULL,
	sector TEXT NOT NULL,
	n BIGINT NOT NULL,
	PRIMARY KEY (audience_id, hour, type, sector)
);
CREATE INDEX picture_counts_hour ON picture_counts (hour);

-- The (source, sector) pairs already counted in each audience, so that two
-- relationships saying the same thing count once.
CREATE TABLE picture_links (
	audience_id INTEGER NOT NULL REFERENCES audiences (id),
	source_id TEXT NOT NULL,
	sector TEXT NOT NULL,
	PRIMARY KEY (audience_id, source_id, sector)
);

-- The objects each relationship points at, so that an object's page can
-- list its relationships through an index; ids only, the records say who
-- may see them.
CREATE TABLE web_refs (
	ref TEXT NOT NULL,
	stix_id TEXT NOT NULL,
	PRIMARY KEY (ref, stix_id)
);

-- The threat level per sector that analysts set, with the reason: every
-- setting is kept, the newest per sector is the current one.
CREATE TABLE threat_levels (
	id INTEGER PRIMARY KEY,
	sector TEXT NOT NULL,
	level TEXT NOT NULL CHECK (level IN ('low', 'moderate', 'substantial', 'high', 'critical')),
	reason TEXT NOT NULL,
	user_id INTEGER NOT NULL REFERENCES users (id),
	org TEXT NOT NULL,
	set_at BIGINT NOT NULL
);
CREATE INDEX threat_levels_sector ON threat_levels (sector, id);

-- Backfill from the records stored before this migration, by the same rules
-- Ingest follows (sqlstore/web.go): each chain's first version counts, in
-- its audience, at the hour of its created time; a relationship puts its
-- source in the sectors of the newest version of its target identity that
-- everyone who sees the relationship may see.
INSERT INTO web_refs (ref, stix_id)
	SELECT json_extract(CAST(r.object AS TEXT), '$.source_ref'), r.stix_id FROM records r WHERE r.type = 'relationship'
	UNION
	SELECT json_extract(CAST(r.object AS TEXT), '$.target_ref'), r.stix_id FROM records r WHERE r.type = 'relationship';

CREATE TEMP TABLE first_versions AS
	SELECT r.seq, r.stix_id, r.type, r.audience_id, r.object,
		CAST(strftime('%s', substr(r.created_key, 1, 4) || '-' || substr(r.created_key, 5, 2) || '-' || substr(r.created_key, 7, 2) || ' ' || substr(r.created_key, 9, 2) || ':00:00') AS INTEGER) / 3600 AS hour
	FROM records r
	WHERE length(r.created_key) >= 10
		AND NOT EXISTS (SELECT 1 FROM records o WHERE o.stix_id = r.stix_id AND o.originator = r.originator AND o.seq < r.seq);

INSERT INTO picture_counts (audience_id, hour, type, sector, n)
	SELECT audience_id, hour, type, '', COUNT(*) FROM first_versions
	WHERE type IN ('incident', 'campaign', 'intrusion-set', 'malware', 'indicator')
	GROUP BY audience_id, hour, type;

CREATE TEMP TABLE sector_links AS
	SELECT rel.audience_id, rel.source, s.value AS sector, MIN(rel.hour) AS hour
	FROM (SELECT f.audience_id, f.hour, json_extract(CAST(f.object AS TEXT), '$.source_ref') AS source,
			json_extract(CAST(f.object AS TEXT), '$.target_ref') AS target, json_extract(CAST(f.object AS TEXT), '$.relationship_type') AS kind
		FROM first_versions f WHERE f.type = 'relationship') rel
	JOIN records i ON i.stix_id = rel.target AND i.type = 'identity'
	JOIN audiences ia ON ia.id = i.audience_id,
	json_each(CAST(i.object AS TEXT), '$.sectors') s
	WHERE (ia.cell = 1 OR i.audience_id = rel.audience_id)
		AND NOT EXISTS (SELECT 1 FROM records j JOIN audiences ja ON ja.id = j.audience_id
			WHERE j.stix_id = i.stix_id AND (ja.cell = 1 OR j.audience_id = rel.audience_id) AND j.modified_key > i.modified_key)
		AND ((rel.kind = 'targets' AND (rel.source LIKE 'campaign--%' OR rel.source LIKE 'intrusion-set--%' OR rel.source LIKE 'malware--%'))
			OR rel.source LIKE 'incident--%')
	GROUP BY rel.audience_id, rel.source, s.value;

INSERT INTO picture_links (audience_id, source_id, sector)
	SELECT audience_id, source, sector FROM sector_links;

INSERT INTO picture_counts (audience_id, hour, type, sector, n)
	SELECT audience_id, hour, substr(source, 1, instr(source, '--') - 1), sector, COUNT(*) FROM sector_links
	GROUP BY audience_id, hour, substr(source, 1, instr(source, '--') - 1), sector;

-- Exploited vulnerabilities: the targets of "targets" relationships from
-- campaigns, intrusion sets, threat actors and malware, and of malware's
-- "exploits", once per vulnerability and audience.
CREATE TEMP TABLE exploited AS
	SELECT rel.audience_id, rel.target AS vulnerability, MIN(rel.hour) AS hour
	FROM (SELECT f.audience_id, f.hour, json_extract(CAST(f.object AS TEXT), '$.source_ref') AS source, json_extract(CAST(f.object AS TEXT), '$.target_ref') AS target, json_extract(CAST(f.object AS TEXT), '$.relationship_type') AS kind
		FROM first_versions f WHERE f.type = 'relationship') rel
	WHERE rel.target LIKE 'vulnerability--%'
		AND ((rel.kind = 'targets' AND (rel.source LIKE 'campaign--%' OR rel.source LIKE 'intrusion-set--%' OR rel.source LIKE 'threat-actor--%' OR rel.source LIKE 'malware--%'))
			OR (rel.kind = 'exploits' AND rel.source LIKE 'malware--%'))
	GROUP BY rel.audience_id, rel.target;

INSERT INTO picture_links (audience_id, source_id, sector)
	SELECT audience_id, vulnerability, '' FROM exploited;

INSERT INTO picture_counts (audience_id, hour, type, sector, n)
	SELECT audience_id, hour, 'exploited-vulnerability', '', COUNT(*) FROM exploited
	GROUP BY audience_id, hour;

DROP TABLE first_versions;
DROP TABLE sector_links;
DROP TABLE exploited;
