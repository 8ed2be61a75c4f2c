//! The read endpoints of `/api/v1/admin/import-jobs`, one handler per file.

pub(crate) mod execution;
pub(crate) mod history;
pub(crate) mod last;
pub(crate) mod statistics;
