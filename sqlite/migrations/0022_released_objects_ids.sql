-- How many objects a collection holds is counted from this index alone
-- (the collection page), without reading each released object's row.
CREATE INDEX released_objects_release_ids ON released_objects (release_seq, stix_id);
