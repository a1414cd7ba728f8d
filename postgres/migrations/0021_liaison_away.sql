-- Until when a liaison is away: while every enabled liaison of an
-- organisation is, its configured deputies decide its consents. A row is
-- removed when the liaison is back; one whose time has passed counts as
-- back too, so that nobody stays away by forgetting to return.
CREATE TABLE liaison_away (
	user_id BIGINT PRIMARY KEY REFERENCES users (id),
	away_until BIGINT NOT NULL,
	marked BIGINT NOT NULL
);
-- Whether the consent was decided by a deputy, for those who read it.
ALTER TABLE release_consents ADD COLUMN deputy INTEGER NOT NULL DEFAULT 0;
