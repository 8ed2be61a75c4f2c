//! The tables, shared by both backends.

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::UtcTimestamp;

    /// Every run of every job.
    import_job_executions (id) {
        id -> Text,
        job_name -> Text,
        status -> Text,
        started_at -> UtcTimestamp,
        completed_at -> Nullable<UtcTimestamp>,
        duration_ms -> Nullable<BigInt>,
        total_properties -> BigInt,
        success_count -> BigInt,
        failed_count -> BigInt,
        skipped_count -> BigInt,
        expected_total -> Nullable<BigInt>,
        errors -> Nullable<Text>,
        errors_omitted -> BigInt,
        triggered_by -> Text,
        consecutive_failures -> Integer,
        last_error -> Nullable<Text>,
        scheduled_for -> Nullable<UtcTimestamp>,
        heartbeat_at -> Nullable<UtcTimestamp>,
        instance_id -> Nullable<Text>,
        details -> Nullable<Text>,
        created_at -> UtcTimestamp,
        updated_at -> UtcTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::UtcTimestamp;

    /// Who did what through the admin API.
    admin_audit_log (id) {
        id -> BigInt,
        at -> UtcTimestamp,
        actor -> Text,
        remote_addr -> Nullable<Text>,
        action -> Text,
        job_name -> Nullable<Text>,
        outcome -> Text,
        execution_id -> Nullable<Text>,
        detail -> Nullable<Text>,
    }
}
