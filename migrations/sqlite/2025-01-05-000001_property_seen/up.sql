-- When each listing was last seen in its source's feed, kept apart from the wide listing row:
-- every import refreshes it for every listing it reads, and rewriting a narrow row costs a
-- fraction of rewriting the listing. The store writes a listing's row here in the transaction
-- that writes the listing.
CREATE TABLE property_seen (
    property_id  INTEGER PRIMARY KEY,
    last_seen_at TEXT NOT NULL
);

INSERT INTO property_seen (property_id, last_seen_at)
SELECT id, last_seen_at FROM properties ORDER BY id;

DROP INDEX properties_source_status_seen_idx;
ALTER TABLE properties DROP COLUMN last_seen_at;
CREATE INDEX properties_source_status_idx ON properties (source, status);
