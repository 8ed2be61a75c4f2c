DROP TABLE source_retry_keys;
