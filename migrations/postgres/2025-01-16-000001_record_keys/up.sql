-- Each listing keeps the key of the record it was mapped from (16 bytes: a hash of the
-- record's bytes and of what decided its mapping), for formats that give one. An import reads
-- the keys of the source's active listings first, and a record whose key is among them is
-- only marked seen, without being parsed or mapped. Listings stored before have none: the next
-- import of a source whose format gives keys (Kyero) stores each listing's key as it probes it,
-- and the one after recognizes them.
ALTER TABLE properties ADD COLUMN record_key BYTEA;
