-- A STIX id's UUID may be written in upper or mixed case (RFC 9562 §4) and
-- is stored as written; the rule on re-sharing another organisation's
-- contribution finds the same id in any spelling through this index.
CREATE INDEX records_stix_id_lower ON records (lower(stix_id));
