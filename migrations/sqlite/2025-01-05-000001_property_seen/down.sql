DROP INDEX properties_source_status_idx;
ALTER TABLE properties ADD COLUMN last_seen_at TEXT;
UPDATE properties SET last_seen_at = COALESCE(
    (SELECT s.last_seen_at FROM property_seen AS s WHERE s.property_id = properties.id),
    updated_at);
CREATE INDEX properties_source_status_seen_idx ON properties (source, status, last_seen_at);
DROP TABLE property_seen;
