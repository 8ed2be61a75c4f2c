//! The actix `App` that serves everything: the routes of the handlers, the OpenAPI document
//! and the dashboard, over the shared state, with the middleware around them.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::{Compress, DefaultHeaders, from_fn};
use actix_web::{App, HttpRequest, HttpResponse, web};

use crate::ApiError;
use crate::state::{AdminApi, MAX_BODY_BYTES};

/// The actix application serving the admin API, the operations endpoints, the docs and the
/// dashboard, with request metrics, compression, size limits, JSON errors for bad input and for
/// the framework's own refusals (405 with `Allow`, 413), and framing protection on every page.
pub fn configure(
    api: AdminApi,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(api.0)
        .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
        .app_data(
            web::JsonConfig::default()
                .limit(MAX_BODY_BYTES)
                .error_handler(|e, _| {
                    ApiError::invalid(format!("the request body is not valid JSON: {e}")).into()
                }),
        )
        .app_data(web::QueryConfig::default().error_handler(|e, _| {
            ApiError::invalid(format!("the query string cannot be read: {e}")).into()
        }))
        .app_data(web::PathConfig::default().error_handler(|e, _| {
            ApiError::invalid(format!("the path cannot be read: {e}")).into()
        }))
        .configure(crate::handlers::routes)
        .configure(crate::openapi::routes)
        .configure(crate::dashboard::routes)
        .default_service(web::to(not_found))
        .wrap(from_fn(crate::middleware::json_errors))
        .wrap(from_fn(crate::middleware::page_security))
        .wrap(Compress::default())
        .wrap(
            DefaultHeaders::new()
                .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                .add((header::REFERRER_POLICY, "no-referrer")),
        )
        .wrap(from_fn(crate::http_metrics::track))
}

/// Paths served by GET only through services that do not answer other methods themselves
/// (the docs UI and the OpenAPI document).
fn get_only(path: &str) -> bool {
    path == "/api/v1/openapi.json" || path.starts_with("/docs/")
}

async fn not_found(req: HttpRequest) -> HttpResponse {
    if req.method() != actix_web::http::Method::GET && get_only(req.path()) {
        let e = ApiError::method_not_allowed(format!(
            "{} is not allowed on {}; allowed: GET",
            req.method(),
            req.path()
        ));
        let mut answer = actix_web::ResponseError::error_response(&e);
        answer
            .headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("GET"));
        return answer;
    }
    let e = ApiError::not_found(format!("no endpoint {} {}", req.method(), req.path()));
    actix_web::ResponseError::error_response(&e)
}
