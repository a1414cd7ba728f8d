-- Each side of a deconfliction hit sees it under a number of its own
-- (mosaic.Hit): the organisation that submitted under org_seq, the holder
-- under holder_seq; 1, 2, 3, … counting only that organisation's hits.
-- The gaps between the global ids of two of its own hits told a partner
-- how many hits others had in between; these numbers have no such gaps.
-- id stays, for the audit log and the coordinator, who see every hit.
-- Hits stored before this are numbered in id order, which is the order
-- they committed in.
ALTER TABLE deconfliction_hits ADD COLUMN org_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deconfliction_hits ADD COLUMN holder_seq INTEGER NOT NULL DEFAULT 0;

UPDATE deconfliction_hits SET org_seq = n.org_seq, holder_seq = n.holder_seq
FROM (
	SELECT id, MAX(CASE WHEN holder = 0 THEN n END) AS org_seq, MAX(CASE WHEN holder = 1 THEN n END) AS holder_seq
	FROM (
		SELECT id, holder, ROW_NUMBER() OVER (PARTITION BY side ORDER BY id) AS n
		FROM (
			SELECT id, org_id AS side, 0 AS holder FROM deconfliction_hits
			UNION ALL
			SELECT id, holder_org_id, 1 FROM deconfliction_hits
		) sides
	) numbered
	GROUP BY id
) n
WHERE n.id = deconfliction_hits.id;

-- A side's hits are read by its numbers (a live stream asks for those
-- after the last it got) and its next number is the largest of both
-- columns plus one; these take over from the indexes on the organisations
-- alone.
CREATE UNIQUE INDEX deconfliction_hits_org_seq ON deconfliction_hits (org_id, org_seq);
CREATE UNIQUE INDEX deconfliction_hits_holder_seq ON deconfliction_hits (holder_org_id, holder_seq);
DROP INDEX deconfliction_hits_org;
DROP INDEX deconfliction_hits_holder;
