ALTER TABLE properties ALTER COLUMN data SET COMPRESSION default;
DROP INDEX properties_source_status_idx;
ALTER TABLE properties ADD COLUMN last_seen_at TIMESTAMPTZ;
UPDATE properties AS p SET last_seen_at = COALESCE(
    (SELECT s.last_seen_at FROM property_seen AS s WHERE s.property_id = p.id), p.updated_at);
ALTER TABLE properties ALTER COLUMN last_seen_at SET NOT NULL;
CREATE INDEX properties_source_status_seen_idx ON properties (source, status, last_seen_at);
DROP TABLE property_seen;
