-- Canonical listings per source, and per-source import state.
CREATE TABLE properties (
    id                 BIGSERIAL PRIMARY KEY,
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
    latitude           DOUBLE PRECISION,
    longitude          DOUBLE PRECISION,
    data               TEXT NOT NULL,
    source_modified_at TIMESTAMPTZ,
    first_seen_at      TIMESTAMPTZ NOT NULL,
    last_seen_at       TIMESTAMPTZ NOT NULL,
    withdrawn_at       TIMESTAMPTZ,
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    UNIQUE (source, external_id)
);
CREATE INDEX properties_source_status_seen_idx ON properties (source, status, last_seen_at);

CREATE TABLE source_state (
    source           TEXT PRIMARY KEY,
    watermark        TIMESTAMPTZ,
    last_snapshot_at TIMESTAMPTZ,
    updated_at       TIMESTAMPTZ NOT NULL
);
