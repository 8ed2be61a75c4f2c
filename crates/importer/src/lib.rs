//! Feed readers, mapping, validation, change detection and images of propimport.
//!
//! Filled by its own issue; for now it only names its place in the workspace.
