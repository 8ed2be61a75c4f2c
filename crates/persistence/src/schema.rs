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
        cancel_requested_by -> Nullable<Text>,
        cancel_requested_at -> Nullable<UtcTimestamp>,
        attempt -> Integer,
    }
}

diesel::table! {
    /// The secret mixed into the seed of this installation's record keys (one row).
    record_key_secret (id) {
        id -> Integer,
        secret -> Binary,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::UtcTimestamp;

    /// The paused jobs: their scheduled ticks are skipped until they are resumed.
    import_job_pauses (job_name) {
        job_name -> Text,
        paused_by -> Text,
        paused_at -> UtcTimestamp,
        reason -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::UtcTimestamp;

    /// Sums of the finished executions per UTC day, month and year: by job, status and
    /// trigger (level `job`), and by status over every job and trigger (level `all`).
    import_job_execution_totals (period, level, period_start, job_name, status, triggered_by) {
        period -> Text,
        level -> Text,
        period_start -> UtcTimestamp,
        job_name -> Text,
        status -> Text,
        triggered_by -> Text,
        executions -> BigInt,
        total_properties -> BigInt,
        success_count -> BigInt,
        failed_count -> BigInt,
        skipped_count -> BigInt,
        duration_sum_ms -> BigInt,
        durations -> BigInt,
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

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::UtcTimestamp;

    /// Canonical listings, one per (source, external id).
    properties (id) {
        id -> BigInt,
        source -> Text,
        external_id -> Text,
        status -> Text,
        content_hash -> Text,
        transaction_type -> Text,
        price_minor -> Nullable<BigInt>,
        currency -> Nullable<Text>,
        property_type -> Nullable<Text>,
        bedrooms -> Nullable<Integer>,
        bathrooms -> Nullable<Integer>,
        built_area_m2 -> Nullable<Integer>,
        plot_area_m2 -> Nullable<Integer>,
        country -> Nullable<Text>,
        province -> Nullable<Text>,
        town -> Nullable<Text>,
        postal_code -> Nullable<Text>,
        latitude -> Nullable<Double>,
        longitude -> Nullable<Double>,
        data -> Text,
        source_modified_at -> Nullable<UtcTimestamp>,
        first_seen_at -> UtcTimestamp,
        withdrawn_at -> Nullable<UtcTimestamp>,
        created_at -> UtcTimestamp,
        updated_at -> UtcTimestamp,
        source_format -> Nullable<Text>,
        source_record -> Nullable<Binary>,
        record_key -> Nullable<Binary>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::UtcTimestamp;

    /// When each listing (by `properties.id`) was last seen in its source's feed.
    property_seen (property_id) {
        property_id -> BigInt,
        last_seen_at -> UtcTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::UtcTimestamp;

    /// Per-source import state.
    source_state (source) {
        source -> Text,
        watermark -> Nullable<UtcTimestamp>,
        last_snapshot_at -> Nullable<UtcTimestamp>,
        updated_at -> UtcTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::UtcTimestamp;

    /// Records of an incremental source that failed to map, to fetch again by key.
    source_retry_keys (source, external_id) {
        source -> Text,
        external_id -> Text,
        key_field -> Text,
        first_failed_at -> UtcTimestamp,
        last_error -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::UtcTimestamp;

    /// Listings' images, one per (source, external id, URL).
    listing_images (source, external_id, url) {
        source -> Text,
        external_id -> Text,
        url -> Text,
        position -> Integer,
        status -> Text,
        stored_key -> Nullable<Text>,
        content_hash -> Nullable<Text>,
        content_type -> Nullable<Text>,
        size_bytes -> Nullable<BigInt>,
        last_error -> Nullable<Text>,
        attempts -> Integer,
        created_at -> UtcTimestamp,
        updated_at -> UtcTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::UtcTimestamp;

    /// Per job and condition: whether the job is in alert, and when the alert was sent.
    import_job_alert_state (job_name, kind) {
        job_name -> Text,
        kind -> Text,
        active -> Bool,
        subject -> Nullable<Text>,
        raised_at -> Nullable<UtcTimestamp>,
        last_sent_at -> Nullable<UtcTimestamp>,
        repeats -> Integer,
        resolved_at -> Nullable<UtcTimestamp>,
        updated_at -> UtcTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::UtcTimestamp;

    /// The alert history: alerts raised, repeated, recovered, and their deliveries.
    import_job_alert_events (id) {
        id -> BigInt,
        at -> UtcTimestamp,
        job_name -> Text,
        kind -> Text,
        event -> Text,
        alert_id -> Nullable<BigInt>,
        channel -> Nullable<Text>,
        execution_id -> Nullable<Text>,
        message -> Nullable<Text>,
    }
}

diesel::joinable!(property_seen -> properties (property_id));
diesel::allow_tables_to_appear_in_same_query!(properties, property_seen);

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::UtcTimestamp;

    /// The source catalog: import sources stored as data.
    import_sources (id) {
        id -> BigInt,
        name -> Text,
        spec -> Text,
        enabled -> Bool,
        sealed_credentials -> Nullable<Binary>,
        version -> BigInt,
        created_at -> UtcTimestamp,
        created_by -> Text,
        updated_at -> UtcTimestamp,
        updated_by -> Text,
    }
}

diesel::table! {
    /// The source catalog's revision (one row once seeded or first changed).
    import_source_catalog (id) {
        id -> SmallInt,
        revision -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::UtcTimestamp;

    /// Runs waiting for a turn under the limit of runs at once, or holding one.
    import_run_queue (job_name) {
        job_name -> Text,
        tick -> Nullable<UtcTimestamp>,
        due_at -> UtcTimestamp,
        host -> Nullable<Text>,
        granted_at -> Nullable<UtcTimestamp>,
        ended_at -> Nullable<UtcTimestamp>,
        seen_at -> UtcTimestamp,
        instance_id -> Text,
    }
}
