//! The OpenAPI 3.1 document, generated from the handlers and the body types, and the docs UI
//! (Swagger UI, whose assets are compiled into the binary: it works offline).

use actix_web::{HttpResponse, web};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::{Config, SwaggerUi};

use crate::handlers;

/// The API's OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "propimport admin API",
        description = "Execution history, statistics, status, manual triggers and operator control \
            (pause and resume a job, cancel a run), the source catalog of the property imports, plus health, readiness \
            and metrics. Admin endpoints need `Authorization: Bearer <token>` \
            (the ADMIN_API_TOKEN, or an HS256 JWT with the admin role)."
    ),
    paths(
        handlers::import_jobs::history::history,
        handlers::import_jobs::statistics::statistics,
        handlers::import_jobs::last::last,
        handlers::status::status,
        handlers::import_jobs::execution::execution,
        handlers::trigger::trigger,
        handlers::control::pause,
        handlers::control::resume,
        handlers::control::cancel,
        handlers::audit::audit_log,
        handlers::alerts::alerts,
        handlers::sources::list,
        handlers::sources::create,
        handlers::sources::get,
        handlers::sources::update,
        handlers::sources::delete,
        handlers::ops::healthz,
        handlers::ops::readyz,
        handlers::ops::metrics,
    ),
    components(schemas(crate::dto::ExecutionStatusName, crate::dto::TriggerSource)),
    modifiers(&BearerAuth),
    tags(
        (name = "import-jobs", description = "Import executions and triggers"),
        (name = "control", description = "Pause and resume jobs, cancel runs (audited)"),
        (name = "audit", description = "Who triggered, paused, resumed or cancelled what"),
        (name = "alerts", description = "Alerts raised, repeated and recovered, and their deliveries"),
        (name = "sources", description = "The source catalog: create, read, change, disable and delete sources at run time (audited)"),
        (name = "operations", description = "Health, readiness and metrics (no auth)"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// Registers `/api/v1/openapi.json` and the docs UI at `/docs/` (its Content-Security-Policy
/// and framing protection are added by the page middleware).
pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    // The online validator is off: its badge would load an image from another origin (and
    // tell it where this document is).
    let ui = SwaggerUi::new("/docs/{_:.*}")
        .url("/api/v1/openapi.json", ApiDoc::openapi())
        .config(Config::new(["/api/v1/openapi.json"]).validator_url("none"));
    cfg.service(ui)
        .service(web::resource("/docs").route(web::get().to(|| async {
            HttpResponse::PermanentRedirect()
                .insert_header(("Location", "/docs/"))
                .finish()
        })));
}
