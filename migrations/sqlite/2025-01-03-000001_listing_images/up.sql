-- Listings' images: one row per (source, external id, URL), without a foreign key to
-- properties (listings are never deleted, and images are recorded right after their listing).
-- SQLite compares text bytewise, so paging by (external_id, url) walks the same order as on
-- PostgreSQL.
CREATE TABLE listing_images (
    source       TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    url          TEXT NOT NULL,
    position     INTEGER NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'stored', 'failed')),
    stored_key   TEXT,
    content_hash TEXT,
    content_type TEXT,
    size_bytes   BIGINT,
    last_error   TEXT,
    attempts     INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (source, external_id, url)
);
-- The images still to download, walked in key order.
CREATE INDEX listing_images_unstored_idx ON listing_images (source, external_id, url)
    WHERE status <> 'stored';
