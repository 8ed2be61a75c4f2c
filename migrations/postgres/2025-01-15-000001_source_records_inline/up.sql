-- A listing's kept source record (a few hundred bytes, compressed by the importer) stays in
-- the listing's row instead of a TOAST value of its own: each written row then costs one
-- TOAST insert (its document's) instead of two. A record too large for a page still moves out
-- of line. The server does not compress the record again (LZ4, which gives up at once on
-- compressed bytes, where the server has it). Rows written before keep their place until
-- they are next written.
ALTER TABLE properties ALTER COLUMN source_record SET STORAGE MAIN;
DO $$
BEGIN
    ALTER TABLE properties ALTER COLUMN source_record SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'this server has no LZ4 compression: source records keep the default';
END
$$;
