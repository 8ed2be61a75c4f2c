//! The source catalog: `GET /api/v1/admin/sources` (a page), `POST` (create),
//! `GET|PATCH|DELETE /api/v1/admin/sources/{name}`. A change is checked exactly as the
//! start-up configuration is; it is audited with the change itself (in its transaction), a
//! refused one here (within the refusal budget for the early ones). Answers about one source
//! carry its version as `ETag`; `If-Match` makes a change conditional on it (412 otherwise).

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use propimport_domain::{AuditOutcome, JobName, Pagination};
use serde_json::{Map, Value};

use crate::auth::{Admin, Attempt};
use crate::dto::{Envelope, PaginationView, SourceDto, SourceListView};
use crate::handlers::control::attempter;
use crate::handlers::trigger::{Attempter, read_body};
use crate::params::{self, Params};
use crate::state::SharedState;
use crate::{ApiError, ChangeBy, SourceAdmin, SourceRefusal};

/// The catalog, or the 404 of a service without one.
fn catalog(state: &SharedState) -> Result<&dyn SourceAdmin, ApiError> {
    state
        .sources
        .as_deref()
        .ok_or_else(|| ApiError::not_found("this service has no source catalog"))
}

/// The answer of a refusal.
fn refusal(r: SourceRefusal) -> ApiError {
    match r {
        SourceRefusal::Invalid(message) => ApiError::invalid(message),
        SourceRefusal::ReadOnly(message) => ApiError::conflict(message),
        SourceRefusal::Store(e) => ApiError::from(e),
    }
}

/// One source with its version as `ETag`.
fn one(status: StatusCode, view: &propimport_domain::SourceView) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::ETAG, format!("\"{}\"", view.source.version)))
        .json(Envelope::new(SourceDto::from(view)))
}

/// The version `If-Match` names: `"3"`, `3` or `W/"3"`; none for `*` or no header.
fn if_match(req: &HttpRequest) -> Result<Option<i64>, ApiError> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .map_err(|_| ApiError::invalid("If-Match must be a source's version, such as \"3\""))?
        .trim();
    if text == "*" {
        return Ok(None);
    }
    let bare = text.trim_start_matches("W/").trim_matches('"');
    bare.parse::<i64>().map(Some).map_err(|_| {
        ApiError::invalid(format!(
            "If-Match must be a source's version, such as \"3\", got {text:?}"
        ))
    })
}

/// The request body as a JSON object.
fn object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::invalid(
            "the body must be a JSON object of the source's fields",
        )),
        Err(e) => Err(ApiError::invalid(format!(
            "the body must be a JSON object of the source's fields: {e}"
        ))),
    }
}

/// Audits a refused change and gives its answer.
async fn refused(attempter: &Attempter<'_>, job: Option<JobName>, error: ApiError) -> ApiError {
    match error.status() {
        StatusCode::SERVICE_UNAVAILABLE => {
            attempter.record_detached(job, error.to_string());
        }
        StatusCode::BAD_REQUEST | StatusCode::PAYLOAD_TOO_LARGE => {
            attempter
                .refused_early(job, AuditOutcome::Refused, &error)
                .await;
        }
        s if s.is_client_error() => {
            attempter
                .record(job, AuditOutcome::Refused, None, error.to_string())
                .await;
        }
        _ => {
            attempter
                .record(job, AuditOutcome::Failed, None, error.to_string())
                .await;
        }
    }
    error
}

/// Lists the source catalog: a page of sources in the order they were created, each with
/// which credentials it has (never their values).
#[utoipa::path(
    get, path = "/api/v1/admin/sources", tag = "sources",
    params(
        ("q" = Option<String>, Query, description = "Only sources whose name or URL contains this (any case)",
            min_length = 1, max_length = 200),
        ("limit" = Option<u32>, Query, description = "Page size, 1 to 500 (default 100)",
            minimum = 1, maximum = 500),
        ("offset" = Option<u64>, Query, description = "Sources to skip (default 0)", minimum = 0),
    ),
    responses(
        (status = 200, description = "A page of sources", body = Envelope<SourceListView>),
        (status = 400, description = "A parameter is invalid", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "The token lacks the admin role", body = crate::error::ErrorBody),
        (status = 503, description = "The database is unavailable", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn list(
    _admin: Admin,
    query: web::Query<Params>,
    state: web::Data<SharedState>,
) -> Result<HttpResponse, ApiError> {
    let (q, limit, offset) = params::sources(&query)?;
    let catalog = catalog(&state)?;
    let all = catalog.list().await.map_err(refusal)?;
    let matching: Vec<_> = all
        .iter()
        .filter(|v| {
            q.as_deref().is_none_or(|q| {
                v.source.name.as_str().to_lowercase().contains(q)
                    || v.source.spec.url.to_lowercase().contains(q)
            })
        })
        .collect();
    let total = i64::try_from(matching.len()).unwrap_or(i64::MAX);
    let page: Vec<SourceDto> = matching
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(limit.get() as usize)
        .map(SourceDto::from)
        .collect();
    let end = offset.saturating_add(u64::from(limit.get()));
    let pagination = Pagination {
        total,
        limit: limit.get(),
        offset,
        has_more: u64::try_from(total).is_ok_and(|t| end < t),
    };
    let read_only = catalog.read_only();
    Ok(HttpResponse::Ok().json(Envelope::new(SourceListView {
        sources: page,
        pagination: PaginationView::from(&pagination),
        read_only,
    })))
}

/// One source of the catalog.
#[utoipa::path(
    get, path = "/api/v1/admin/sources/{name}", tag = "sources",
    params(("name" = String, Path, description = "The source's name",
        min_length = 1, max_length = 64, pattern = r"^[A-Za-z0-9_.:-]+$")),
    responses(
        (status = 200, description = "The source; its version is the ETag", body = Envelope<SourceDto>),
        (status = 400, description = "A malformed name", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "The token lacks the admin role", body = crate::error::ErrorBody),
        (status = 404, description = "No source has this name", body = crate::error::ErrorBody),
        (status = 503, description = "The database is unavailable", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn get(
    _admin: Admin,
    path: web::Path<String>,
    state: web::Data<SharedState>,
) -> Result<HttpResponse, ApiError> {
    let name = JobName::parse(&path)?;
    let view = catalog(&state)?.get(&name).await.map_err(refusal)?;
    Ok(one(StatusCode::OK, &view))
}

/// Adds a source: checked as the start-up configuration is, stored (its credentials sealed),
/// audited, and scheduled by every replica within a second.
#[utoipa::path(
    post, path = "/api/v1/admin/sources", tag = "sources",
    request_body(content = crate::dto::NewSourceBody, content_type = "application/json",
        description = "The source's fields; at most 16 KiB"),
    responses(
        (status = 201, description = "The source as stored; its version is the ETag", body = Envelope<SourceDto>,
            headers(("Location" = String, description = "The source's address"))),
        (status = 400, description = "A field is invalid (the message names it)", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "The token lacks the admin role", body = crate::error::ErrorBody),
        (status = 409, description = "A source has this name, or the catalog is read-only", body = crate::error::ErrorBody),
        (status = 413, description = "The body is larger than 16 KiB", body = crate::error::ErrorBody),
        (status = 503, description = "The database is unavailable", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn create(
    attempt: Attempt,
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<SharedState>,
) -> Result<HttpResponse, ApiError> {
    let attempter = attempter(&state, &req, attempt, "source.create").await?;
    let body = match read_body(&req, payload).await.and_then(|b| object(&b)) {
        Ok(body) => body,
        Err(e) => return Err(refused(&attempter, None, e).await),
    };
    let named = body
        .get("name")
        .and_then(Value::as_str)
        .and_then(|n| JobName::parse(n).ok());
    let catalog = catalog(&state)?;
    let by = ChangeBy {
        actor: attempter.actor.clone(),
        remote_addr: attempter.remote(),
    };
    match catalog.create(body, &by).await {
        Ok(view) => {
            state.status_cache.clear();
            let mut answer = one(StatusCode::CREATED, &view);
            if let Ok(location) = header::HeaderValue::from_str(&format!(
                "/api/v1/admin/sources/{}",
                view.source.name
            )) {
                answer.headers_mut().insert(header::LOCATION, location);
            }
            Ok(answer)
        }
        Err(r) => Err(refused(&attempter, named, refusal(r)).await),
    }
}

/// Changes some fields of a source: a JSON merge patch (a field given is set, `null` unsets
/// it, one left out stays; credentials left out stay as they are; `enabled` enables or
/// disables it). With `If-Match`, only if the source is still at that version.
#[utoipa::path(
    patch, path = "/api/v1/admin/sources/{name}", tag = "sources",
    params(
        ("name" = String, Path, description = "The source's name",
            min_length = 1, max_length = 64, pattern = r"^[A-Za-z0-9_.:-]+$"),
        ("If-Match" = Option<String>, Header, description = "The version the change is for, such as \"3\""),
    ),
    request_body(content = Object, content_type = "application/merge-patch+json",
        description = "The fields to change (as in the source), `null` to unset one, `enabled`, `token`, `clientSecret`; at most 16 KiB"),
    responses(
        (status = 200, description = "The source as stored; its version is the ETag", body = Envelope<SourceDto>),
        (status = 400, description = "A field is invalid (the message names it), or a malformed name or If-Match", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "The token lacks the admin role", body = crate::error::ErrorBody),
        (status = 404, description = "No source has this name", body = crate::error::ErrorBody),
        (status = 409, description = "The catalog is read-only", body = crate::error::ErrorBody),
        (status = 412, description = "The source is at another version than If-Match names", body = crate::error::ErrorBody),
        (status = 413, description = "The body is larger than 16 KiB", body = crate::error::ErrorBody),
        (status = 503, description = "The database is unavailable", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn update(
    attempt: Attempt,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    state: web::Data<SharedState>,
) -> Result<HttpResponse, ApiError> {
    let attempter = attempter(&state, &req, attempt, "source.update").await?;
    let name = match JobName::parse(&path) {
        Ok(name) => name,
        Err(e) => return Err(refused(&attempter, None, e.into()).await),
    };
    let read = async {
        let expected = if_match(&req)?;
        let patch = object(&read_body(&req, payload).await?)?;
        Ok::<_, ApiError>((expected, patch))
    };
    let (expected, patch) = match read.await {
        Ok(read) => read,
        Err(e) => return Err(refused(&attempter, Some(name), e).await),
    };
    let by = ChangeBy {
        actor: attempter.actor.clone(),
        remote_addr: attempter.remote(),
    };
    match catalog(&state)?.update(&name, patch, expected, &by).await {
        Ok(view) => {
            state.status_cache.clear();
            Ok(one(StatusCode::OK, &view))
        }
        Err(r) => Err(refused(&attempter, Some(name), refusal(r)).await),
    }
}

/// Deletes a source: every replica stops scheduling it within a second (a run in progress
/// goes on); its history and listings stay. With `If-Match`, only if the source is still at
/// that version.
#[utoipa::path(
    delete, path = "/api/v1/admin/sources/{name}", tag = "sources",
    params(
        ("name" = String, Path, description = "The source's name",
            min_length = 1, max_length = 64, pattern = r"^[A-Za-z0-9_.:-]+$"),
        ("If-Match" = Option<String>, Header, description = "The version the deletion is for, such as \"3\""),
    ),
    responses(
        (status = 200, description = "The source as it was", body = Envelope<SourceDto>),
        (status = 400, description = "A malformed name or If-Match", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "The token lacks the admin role", body = crate::error::ErrorBody),
        (status = 404, description = "No source has this name", body = crate::error::ErrorBody),
        (status = 409, description = "The catalog is read-only", body = crate::error::ErrorBody),
        (status = 412, description = "The source is at another version than If-Match names", body = crate::error::ErrorBody),
        (status = 503, description = "The database is unavailable", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn delete(
    attempt: Attempt,
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<SharedState>,
) -> Result<HttpResponse, ApiError> {
    let attempter = attempter(&state, &req, attempt, "source.delete").await?;
    let name = match JobName::parse(&path) {
        Ok(name) => name,
        Err(e) => return Err(refused(&attempter, None, e.into()).await),
    };
    let expected = match if_match(&req) {
        Ok(expected) => expected,
        Err(e) => return Err(refused(&attempter, Some(name), e).await),
    };
    let by = ChangeBy {
        actor: attempter.actor.clone(),
        remote_addr: attempter.remote(),
    };
    match catalog(&state)?.delete(&name, expected, &by).await {
        Ok(view) => {
            state.status_cache.clear();
            Ok(HttpResponse::Ok().json(Envelope::new(SourceDto::from(&view))))
        }
        Err(r) => Err(refused(&attempter, Some(name), refusal(r)).await),
    }
}
