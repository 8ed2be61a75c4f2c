DROP TABLE admin_audit_log;
DROP TABLE import_job_executions;
