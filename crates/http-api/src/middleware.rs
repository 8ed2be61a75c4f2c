//! Answers no handler wrote, made like the others: the framework's own refusals (405 with
//! `Allow`, 413, 404…) get the JSON error body, and every HTML page gets framing protection
//! (the docs UI also its Content-Security-Policy).

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError};

use crate::ApiError;

/// The docs UI's policy: Swagger UI's own scripts and styles (it sets inline styles, never
/// inline scripts), its embedded images, requests to this server only, no framing.
pub const DOCS_CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
     connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// The policy added to an HTML page that has none: it may not be framed.
const FRAMING_POLICY: &str = "frame-ancestors 'none'";

fn is_json(headers: &header::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json"))
}

fn is_html(headers: &header::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"))
}

/// Replaces the body of an error answer that is not JSON with the API's error shape, keeping
/// its status and headers such as `Allow`.
pub(crate) async fn json_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let response = next.call(req).await?;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(response.headers()) {
        return Ok(response.map_into_left_body());
    }
    let request = response.request();
    let message = match status.as_u16() {
        405 => {
            let allowed = response
                .headers()
                .get(header::ALLOW)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            format!(
                "{} is not allowed on {}; allowed: {allowed}",
                request.method(),
                request.path()
            )
        }
        404 => format!("no endpoint {} {}", request.method(), request.path()),
        413 => "the request body is too large".to_owned(),
        _ => format!(
            "the request was refused: {}",
            status.canonical_reason().unwrap_or("error")
        ),
    };
    let mut answer = ApiError::for_status(status, message).error_response();
    for (name, value) in response.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            answer.headers_mut().insert(name.clone(), value.clone());
        }
    }
    let (request, _) = response.into_parts();
    Ok(ServiceResponse::new(request, answer).map_into_right_body())
}

/// Adds the docs UI's Content-Security-Policy under `/docs/`, and framing protection
/// (`X-Frame-Options: DENY`, and `frame-ancestors 'none'` when no policy is set) to every
/// HTML answer.
pub(crate) async fn page_security(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let docs = req.path().starts_with("/docs/");
    let mut response = next.call(req).await?;
    let html = is_html(response.headers());
    let headers = response.headers_mut();
    if docs && !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DOCS_CONTENT_SECURITY_POLICY),
        );
    }
    if html || docs {
        if !headers.contains_key(header::X_FRAME_OPTIONS) {
            headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        }
        if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(FRAMING_POLICY),
            );
        }
    }
    Ok(response)
}
