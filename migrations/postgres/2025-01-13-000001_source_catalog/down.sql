DROP TABLE import_source_catalog;
DROP TABLE import_sources;
