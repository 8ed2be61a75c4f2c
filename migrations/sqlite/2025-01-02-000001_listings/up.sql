-- Canonical listings per source, and per-source import state.
CREATE TABLE properties (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    source             TEXT NOT NULL,
    external_id        TEXT NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('active', 'withdrawn')),
    content_hash       TEXT NOT NULL,
    transaction_type   TEXT NOT NULL,
    price_minor        BIGINT,
    currency           TEXT,
    property_type      TEXT,
    bedrooms           INTEGER,
    bathrooms          INTEGER,
    built_area_m2      INTEGER,
    plot_area_m2       INTEGER,
    country            TEXT,
    province           TEXT,
    town               TEXT,
    postal_code        TEXT,
    latitude           REAL,
    longitude          REAL,
    data               TEXT NOT NULL,
    source_modified_at TEXT,
    first_seen_at      TEXT NOT NULL,
    last_seen_at       TEXT NOT NULL,
    withdrawn_at       TEXT,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    UNIQUE (source, external_id)
);
CREATE INDEX properties_source_status_seen_idx ON properties (source, status, last_seen_at);

CREATE TABLE source_state (
    source           TEXT PRIMARY KEY,
    watermark        TEXT,
    last_snapshot_at TEXT,
    updated_at       TEXT NOT NULL
);
