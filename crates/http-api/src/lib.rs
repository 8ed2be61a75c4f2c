//! The admin HTTP API of propimport (actix-web).
//!
//! Filled by its own issue; for now it only names its place in the workspace.
