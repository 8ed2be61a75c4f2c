-- When each listing was last seen in its source's feed, kept apart from the wide listing row.
-- Every import refreshes it for every listing it reads, changed or not; rewriting a narrow row
-- costs a fraction of rewriting the listing, and as no index holds the time and the pages keep
-- room for a new version (fillfactor), the new version stays on its page without index
-- writes. The store writes a listing's row here in the transaction that writes the listing;
-- no foreign key, whose check would lock (and so write) the listing's row on every refresh.
CREATE TABLE property_seen (
    property_id  BIGINT PRIMARY KEY,
    last_seen_at TIMESTAMPTZ NOT NULL
) WITH (fillfactor = 50);

INSERT INTO property_seen (property_id, last_seen_at)
SELECT id, last_seen_at FROM properties ORDER BY id;

DROP INDEX properties_source_status_seen_idx;
ALTER TABLE properties DROP COLUMN last_seen_at;
CREATE INDEX properties_source_status_idx ON properties (source, status);

-- Listing documents are compressed with LZ4 where the server has it (several times faster
-- than the default, for about the same size); the default stays otherwise.
DO $$
BEGIN
    EXECUTE 'ALTER TABLE properties ALTER COLUMN data SET COMPRESSION lz4';
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'lz4 is not available: listing data keeps the default compression';
END
$$;
