-- Sources as data: the catalog of import sources, changed at run time through the admin API
-- and the command line, and its revision, which every change moves on so that each process
-- notices a change with one read of one row.
CREATE TABLE import_sources (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    name               TEXT NOT NULL UNIQUE,
    -- The source as an operator wrote it (JSON, credentials taken out).
    spec               TEXT NOT NULL,
    enabled            BOOLEAN NOT NULL,
    -- The credentials, sealed with the service's key (never readable without it).
    sealed_credentials BLOB,
    version            BIGINT NOT NULL,
    created_at         TEXT NOT NULL,
    created_by         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    updated_by         TEXT NOT NULL
);

-- One row once the catalog is seeded or first changed.
CREATE TABLE import_source_catalog (
    id       SMALLINT PRIMARY KEY CHECK (id = 1),
    revision BIGINT NOT NULL
);
