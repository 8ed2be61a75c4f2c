-- Each listing keeps the record its feed sent for it, as the importer compressed it (LZ4), and
-- the name of the format that reads it: `propimport remap` maps stored listings again from it,
-- and a field no mapping uses is not lost. The record is stored as it is, out of line
-- (already compressed: the server does not compress it again).
ALTER TABLE properties ADD COLUMN source_format TEXT;
ALTER TABLE properties ADD COLUMN source_record BYTEA;
ALTER TABLE properties ALTER COLUMN source_record SET STORAGE EXTERNAL;
