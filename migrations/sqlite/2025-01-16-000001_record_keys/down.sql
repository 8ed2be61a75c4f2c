ALTER TABLE properties DROP COLUMN record_key;
