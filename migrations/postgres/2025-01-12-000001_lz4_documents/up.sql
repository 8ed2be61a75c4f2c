-- Listing documents are compressed with LZ4 instead of the server's default (pglz): the
-- server compresses every written document (a few KB of JSON), and LZ4 does it several times
-- faster for a slightly larger result, which makes a large import cheaper for the server.
-- Documents written before keep their compression until they are next written. A server
-- built without LZ4 keeps its default.
DO $$
BEGIN
    ALTER TABLE properties ALTER COLUMN data SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'this server has no LZ4 compression: listing documents keep the default';
END
$$;
