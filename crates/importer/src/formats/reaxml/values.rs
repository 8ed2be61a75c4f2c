//! What the REAXML mapping's parts share: its context, its failures, a listing's status.

use std::sync::Arc;

use propimport_domain::Currency;

use crate::formats::{Attachments, Stage};

/// What the mapping needs besides the listing.
pub(crate) struct Context {
    /// The currency of every amount.
    pub currency: Currency,
    /// Files delivered with the feed, for `<img file="…">`.
    pub attachments: Option<Arc<dyn Attachments>>,
}

/// Why a listing failed, before it is tied to its id and number.
pub(super) struct Failure {
    pub stage: Stage,
    pub message: String,
}

impl Failure {
    /// A value the domain rejected: the listing fails at `validate`.
    pub fn rejected(error: &propimport_domain::Error) -> Self {
        Self {
            stage: Stage::Validate,
            message: error.to_string(),
        }
    }
}

/// A mapped value, or why the listing fails.
pub(super) type Mapped<T> = Result<T, Failure>;

/// A value that cannot be read as its type, or a required one missing: fails at `map`.
pub(super) fn map_err(message: String) -> Failure {
    Failure {
        stage: Stage::Map,
        message,
    }
}

/// Where a listing is, as its `status` attribute says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Status {
    Current,
    Sold,
    Leased,
    /// `withdrawn`, `offmarket`, `deleted`: gone from the market.
    Gone,
}
