//! Cron schedules, tracked job runs, overlap guard, alerts and retention of propimport.
//!
//! Filled by its own issue; for now it only names its place in the workspace.
