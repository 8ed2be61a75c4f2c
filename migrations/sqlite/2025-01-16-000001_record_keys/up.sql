-- Each listing keeps the key of the record it was mapped from (16 bytes: a hash of the
-- record's bytes and of what decided its mapping), for formats that give one. An import reads
-- the keys of the source's active listings first, and a record whose key is among them is
-- only marked seen, without being parsed or mapped. Listings stored before have none until
-- they are next written; the first import of each source after this writes every listing once.
ALTER TABLE properties ADD COLUMN record_key BLOB;
