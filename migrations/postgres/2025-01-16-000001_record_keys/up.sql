-- Each listing keeps the key of the record it was mapped from (16 bytes: a hash of the
-- record's bytes and of what decided its mapping), for formats that give one. An import reads
-- the keys of the source's active listings first, and a record whose key is among them is
-- only marked seen, without being parsed or mapped. Listings stored before have none: the next
-- import of a source whose format gives keys (Kyero) stores each listing's key as it probes it,
-- and the one after recognizes them.
ALTER TABLE properties ADD COLUMN record_key BYTEA;

-- The secret of this installation's record keys: 16 random bytes, drawn once and mixed into
-- the seed of every key, so that a stored key cannot be used to test guesses of what the kept
-- record leaves out (Kyero's private notes) without it. Every replica reads the same one.
CREATE TABLE record_key_secret (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    secret BYTEA NOT NULL CHECK (length(secret) = 16)
);
INSERT INTO record_key_secret (id, secret)
VALUES (1, decode(replace(gen_random_uuid()::text, '-', ''), 'hex'));
