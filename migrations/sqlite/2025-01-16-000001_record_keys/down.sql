DROP TABLE record_key_secret;
ALTER TABLE properties DROP COLUMN record_key;
