-- Records are numbered, and stamped with the time they were added, in the
-- order their transactions commit: an ingest takes its numbers by updating
-- this one row, whose lock it then holds until it commits, so no reader can
-- ever see a record numbered below one it has already seen appear later.
-- That is what lets a client page through records, or poll for what was
-- added after a time, under concurrent writes without skipping any.
CREATE TABLE counters (
	name TEXT PRIMARY KEY,
	value BIGINT NOT NULL,
	added BIGINT NOT NULL
);
INSERT INTO counters (name, value, added)
	SELECT 'records', COALESCE(MAX(seq), 0), COALESCE(MAX(added), 0) FROM records;
