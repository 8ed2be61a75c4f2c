//! Downloading one image: a GET with the source's timeouts and retries, an `image/*` content
//! type, and a size cap enforced while the body is read.

use std::time::Duration;

use propimport_domain::{CancelToken, ImageUrl};
use reqwest::header::CONTENT_TYPE;

use crate::fetch::{self, FetchError};
use crate::source::{HttpSettings, Location};

/// An image's bytes and media type.
pub(crate) struct Downloaded {
    /// The body.
    pub(crate) bytes: Vec<u8>,
    /// The media type, lower-case, without parameters (`image/jpeg`).
    pub(crate) content_type: String,
}

/// Why an image was not stored; the message becomes the image's last error.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ImageError {
    /// The URL cannot be requested.
    #[error("not a valid URL: {0}")]
    InvalidUrl(String),
    /// The URL points at an address downloads may not reach.
    #[error("{0}")]
    Refused(String),
    /// The server answered with an error status.
    #[error("the server answered {status} after {attempts} attempt(s)")]
    Status {
        /// The last status.
        status: reqwest::StatusCode,
        /// Attempts made.
        attempts: usize,
    },
    /// The request failed.
    #[error("the request failed after {attempts} attempt(s): {reason}")]
    Request {
        /// Why.
        reason: String,
        /// Attempts made.
        attempts: usize,
    },
    /// The answer is not an image.
    #[error("the content type is {0}, not image/*")]
    NotAnImage(String),
    /// The image is larger than allowed.
    #[error("the image is larger than {0} bytes")]
    TooLarge(u64),
    /// The body is empty.
    #[error("the image is empty")]
    Empty,
    /// Reading the body failed.
    #[error("reading the image failed: {0}")]
    Body(String),
    /// The whole download took too long.
    #[error("no complete image within {0:?}")]
    TimedOut(Duration),
    /// A file delivered with the feed cannot be used.
    #[error("{0}")]
    Delivered(String),
    /// The object store refused the bytes.
    #[error("storing the image failed: {0}")]
    Store(String),
    /// The run was cancelled meanwhile.
    #[error("cancelled")]
    Cancelled,
}

impl From<FetchError> for ImageError {
    fn from(e: FetchError) -> Self {
        match e {
            FetchError::Status {
                status, attempts, ..
            } => Self::Status { status, attempts },
            FetchError::Request {
                reason, attempts, ..
            } => Self::Request { reason, attempts },
            FetchError::TimedOut {
                timeout,
                after,
                attempts,
                ..
            } => Self::Request {
                reason: format!(
                    "timed out after {} ({})",
                    fetch::seconds(after),
                    timeout.setting()
                ),
                attempts,
            },
            FetchError::Cancelled { .. } => Self::Cancelled,
            FetchError::File { error, .. } => Self::InvalidUrl(error.to_string()),
        }
    }
}

/// GETs the image at `url`, checking its content type and size.
pub(crate) async fn download(
    url: &ImageUrl,
    client: &reqwest::Client,
    allowed: &super::guard::AllowedHosts,
    http: &HttpSettings,
    max_bytes: u64,
    cancel: &CancelToken,
) -> Result<Downloaded, ImageError> {
    let parsed =
        reqwest::Url::parse(url.as_str()).map_err(|e| ImageError::InvalidUrl(e.to_string()))?;
    if let Some(why) = allowed.refusal(&parsed) {
        return Err(ImageError::Refused(why));
    }
    let mut response = fetch::get_with_retries(&parsed, client, http, cancel).await?;
    let content_type = image_type(response.headers().get(CONTENT_TYPE))?;
    if response.content_length().is_some_and(|n| n > max_bytes) {
        return Err(ImageError::TooLarge(max_bytes));
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| ImageError::Body(fetch::body_error(e, http.read_timeout).to_string()))?
    {
        if (bytes.len() + chunk.len()) as u64 > max_bytes {
            return Err(ImageError::TooLarge(max_bytes));
        }
        bytes.extend_from_slice(&chunk);
    }
    if bytes.is_empty() {
        return Err(ImageError::Empty);
    }
    Ok(Downloaded {
        bytes,
        content_type,
    })
}

/// The media type of an `image/*` answer, or why it is not one.
fn image_type(header: Option<&reqwest::header::HeaderValue>) -> Result<String, ImageError> {
    let Some(value) = header else {
        return Err(ImageError::NotAnImage("missing".into()));
    };
    let text = value.to_str().unwrap_or_default();
    let media = text
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match media.strip_prefix("image/") {
        Some(subtype) if !subtype.is_empty() => Ok(media),
        _ => Err(ImageError::NotAnImage(format!("{text:?}"))),
    }
}

/// The file extension of a stored image of media type `content_type`.
pub(crate) fn extension(content_type: &str) -> String {
    let subtype = content_type.strip_prefix("image/").unwrap_or_default();
    let known = match subtype {
        "jpeg" | "jpg" | "pjpeg" => "jpg",
        "svg+xml" => "svg",
        "tiff" => "tif",
        "x-icon" | "vnd.microsoft.icon" => "ico",
        _ => "",
    };
    if !known.is_empty() {
        return known.to_owned();
    }
    let plain: String = subtype
        .trim_start_matches("x-")
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .take(8)
        .collect();
    if plain.is_empty() {
        "img".to_owned()
    } else {
        plain
    }
}

/// The URL for logs and error lists: without credentials or query.
pub(crate) fn shown(url: &ImageUrl) -> String {
    reqwest::Url::parse(url.as_str())
        .map_or_else(|_| url.to_string(), |u| Location::Url(u).redacted())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn only_images_pass() {
        let ok = |v: &str| image_type(Some(&HeaderValue::from_str(v).unwrap()));
        assert_eq!(ok("image/JPEG; charset=x").unwrap(), "image/jpeg");
        assert_eq!(ok("image/webp").unwrap(), "image/webp");
        assert!(ok("text/html").is_err());
        assert!(ok("image/").is_err());
        assert!(ok("application/octet-stream").is_err());
        assert!(image_type(None).is_err());
    }

    #[test]
    fn extensions_from_media_types() {
        assert_eq!(extension("image/jpeg"), "jpg");
        assert_eq!(extension("image/png"), "png");
        assert_eq!(extension("image/svg+xml"), "svg");
        assert_eq!(extension("image/x-portable-pixmap"), "portable");
        assert_eq!(extension("image/heic"), "heic");
        assert_eq!(extension("image/+++"), "img");
    }

    #[test]
    fn shown_urls_hide_secrets() {
        let url = ImageUrl::parse("https://u:p@img.example/a.jpg?sig=secret").unwrap();
        assert_eq!(shown(&url), "https://img.example/a.jpg");
    }
}
