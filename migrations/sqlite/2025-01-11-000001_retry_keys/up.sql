-- Records of an incremental source that failed to map: fetched again by key on each run
-- until they map or the source no longer has them.
CREATE TABLE source_retry_keys (
    source          TEXT NOT NULL,
    external_id     TEXT NOT NULL,
    key_field       TEXT NOT NULL,
    first_failed_at TEXT NOT NULL,
    last_error      TEXT NOT NULL,
    PRIMARY KEY (source, external_id)
);
