-- Secrets the server itself makes and keeps, such as the key that seals
-- listing cursors; shared by every process on the database.
CREATE TABLE secrets (
	name TEXT PRIMARY KEY,
	value BLOB NOT NULL
);
