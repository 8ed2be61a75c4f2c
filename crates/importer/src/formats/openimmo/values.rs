//! Small readers shared by the OpenImmo mapping: failures, flags, decimals, text and images.

use propimport_domain::{Image, LanguageCode};

use crate::formats::{Stage, html};

/// Why a record failed, before it is tied to its number and id.
pub(super) struct Failure {
    pub stage: Stage,
    pub message: String,
}

pub(super) type Mapped<T> = Result<T, Failure>;

/// A failure at `map` about `field`.
pub(super) fn bad(field: &str, message: impl std::fmt::Display) -> Failure {
    Failure {
        stage: Stage::Map,
        message: format!("{field}: {message}"),
    }
}

/// A failure at `validate` about `field`.
pub(super) fn rejected(field: &str, error: &propimport_domain::Error) -> Failure {
    Failure {
        stage: Stage::Validate,
        message: format!("{field}: {error}"),
    }
}

/// Whether `text` is an XML boolean true (`true`, `1`), as OpenImmo's flags are written.
pub(super) fn is_true(text: &str) -> bool {
    text.eq_ignore_ascii_case("true") || text == "1"
}

/// A decimal number as OpenImmo writes it (a decimal comma accepted), finite.
pub(super) fn decimal(text: &str) -> Option<f64> {
    let text = text.trim();
    let parsed = if text.contains(',') && !text.contains('.') {
        text.replace(',', ".").parse::<f64>().ok()
    } else {
        text.parse::<f64>().ok()
    };
    parsed.filter(|v| v.is_finite())
}

/// The text with each run of whitespace made one space.
pub(super) fn collapse(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    html::collapse_into(&mut out, text, html::Lines::Joined);
    out
}

/// A new image with its caption, if any, in `language`.
pub(super) fn image(url: String, caption: Option<&str>, language: Option<&LanguageCode>) -> Image {
    let mut image = Image::new(url);
    if let (Some(caption), Some(language)) = (caption, language) {
        image.captions.insert(language.clone(), collapse(caption));
    }
    image
}
