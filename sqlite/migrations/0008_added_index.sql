-- Marks where records began to be numbered and stamped in commit order
-- (migration 0003): every record numbered after 'monotone'.value was
-- added after 'monotone'.added, and no earlier than any record numbered
-- before it. Above the mark, "added after t" is found by a binary search on
-- the record number instead of a scan. Set now rather than at 0003, which
-- puts the mark no lower than the truth.
INSERT INTO counters (name, value, added)
	SELECT 'monotone', value, added FROM counters WHERE name = 'records';
