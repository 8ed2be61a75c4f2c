DROP TABLE import_job_alert_events;
DROP TABLE import_job_alert_state;
