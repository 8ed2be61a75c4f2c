DROP TABLE import_run_queue;
