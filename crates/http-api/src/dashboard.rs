//! The monitoring dashboard: static assets compiled into the binary, served with a strict
//! Content-Security-Policy (no inline scripts or styles, same-origin requests only).

use actix_web::http::header;
use actix_web::{HttpResponse, web};

/// The page's security policy: only its own scripts, styles and API.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// One embedded file: its name under `/dashboard/`, content type and bytes.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $type:literal) => {
        Asset {
            name: $name,
            content_type: $type,
            bytes: include_bytes!(concat!("../assets/dashboard/", $name)),
        }
    };
}

const ASSETS: &[Asset] = &[
    asset!("index.html", "text/html; charset=utf-8"),
    asset!("app.js", "text/javascript; charset=utf-8"),
    asset!("api.js", "text/javascript; charset=utf-8"),
    asset!("util.js", "text/javascript; charset=utf-8"),
    asset!("charts.js", "text/javascript; charset=utf-8"),
    asset!("jobs.js", "text/javascript; charset=utf-8"),
    asset!("job-list.js", "text/javascript; charset=utf-8"),
    asset!("job-picker.js", "text/javascript; charset=utf-8"),
    asset!("insights.js", "text/javascript; charset=utf-8"),
    asset!("history.js", "text/javascript; charset=utf-8"),
    asset!("alerts.js", "text/javascript; charset=utf-8"),
    asset!("sources.js", "text/javascript; charset=utf-8"),
    asset!("detail.js", "text/javascript; charset=utf-8"),
    asset!("progress.js", "text/javascript; charset=utf-8"),
    asset!("words.js", "text/javascript; charset=utf-8"),
    asset!("app.css", "text/css; charset=utf-8"),
    asset!("favicon.svg", "image/svg+xml"),
];

fn serve(name: &str) -> HttpResponse {
    let Some(asset) = ASSETS.iter().find(|a| a.name == name) else {
        return actix_web::ResponseError::error_response(&crate::ApiError::not_found(format!(
            "no dashboard file {name:?}"
        )));
    };
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, asset.content_type))
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(asset.bytes)
}

/// Registers `/` (a redirect), `/dashboard/` and its files (GET only: another method is a
/// 405).
pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/").route(web::get().to(|| async {
        HttpResponse::Found()
            .insert_header((header::LOCATION, "/dashboard/"))
            .finish()
    })))
    .service(web::resource("/dashboard").route(web::get().to(|| async {
        HttpResponse::PermanentRedirect()
            .insert_header((header::LOCATION, "/dashboard/"))
            .finish()
    })))
    .service(web::resource("/dashboard/").route(web::get().to(|| async { serve("index.html") })))
    .service(
        web::resource("/dashboard/{file}")
            .route(web::get().to(|file: web::Path<String>| async move { serve(&file) })),
    );
}

#[cfg(test)]
mod tests {
    use super::ASSETS;

    /// The files a module imports (`from './x.js'`) or the page loads (`src="x"`, `href="x"`).
    fn references(text: &str) -> Vec<String> {
        let mut found = Vec::new();
        for marker in ["from './", "src=\"", "href=\""] {
            for (at, _) in text.match_indices(marker) {
                let rest = &text[at + marker.len()..];
                let end = rest.find(['\'', '"']).unwrap_or(rest.len());
                let name = rest[..end].trim_start_matches("./");
                if !name.is_empty() && !name.contains(['/', '#', ':']) {
                    found.push(name.to_owned());
                }
            }
        }
        found
    }

    #[test]
    fn every_file_the_page_loads_is_embedded() {
        let mut checked = 0;
        for asset in ASSETS {
            let text = std::str::from_utf8(asset.bytes).unwrap_or_default();
            for name in references(text) {
                assert!(
                    ASSETS.iter().any(|a| a.name == name),
                    "{} refers to {name}, which is not embedded in ASSETS",
                    asset.name
                );
                checked += 1;
            }
        }
        assert!(
            checked > 10,
            "only {checked} references found: the scan is broken"
        );
    }
}
