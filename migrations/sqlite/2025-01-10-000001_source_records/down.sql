ALTER TABLE properties DROP COLUMN source_record;
ALTER TABLE properties DROP COLUMN source_format;
