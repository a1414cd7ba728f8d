-- The current threat level of each sector, one row per sector, kept in
-- the transaction that adds to threat_levels: the picture reads these rows
-- instead of grouping over the whole history on every view.
CREATE TABLE threat_current (
	sector TEXT PRIMARY KEY,
	threat_id INTEGER NOT NULL REFERENCES threat_levels (id)
);
INSERT INTO threat_current (sector, threat_id)
	SELECT sector, MAX(id) FROM threat_levels GROUP BY sector;

-- Identities' sectors count only when they are in the STIX
-- industry-sector vocabulary (mosaic.Sectors): 0007's backfill and Ingest
-- before this took any text. A source in a made-up sector counts nowhere
-- else because of it, so its rows simply go.
CREATE TEMP TABLE valid_sectors (sector TEXT PRIMARY KEY);
INSERT INTO valid_sectors (sector) VALUES ('agriculture'), ('aerospace'), ('automotive'), ('chemical'), ('commercial'), ('communications'), ('construction'), ('defense'), ('education'), ('energy'), ('entertainment'), ('financial-services'), ('government'), ('government-emergency-services'), ('government-local'), ('government-national'), ('government-public-services'), ('government-regional'), ('healthcare'), ('hospitality-leisure'), ('infrastructure'), ('infrastructure-dams'), ('infrastructure-nuclear'), ('infrastructure-water'), ('insurance'), ('manufacturing'), ('mining'), ('non-profit'), ('pharmaceuticals'), ('retail'), ('technology'), ('telecommunications'), ('transportation'), ('utilities');
DELETE FROM picture_counts WHERE sector <> '' AND sector NOT IN (SELECT sector FROM valid_sectors);
DELETE FROM picture_links WHERE sector <> '' AND sector NOT IN (SELECT sector FROM valid_sectors);
DROP TABLE valid_sectors;
