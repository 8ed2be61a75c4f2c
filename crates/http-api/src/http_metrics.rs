//! Request metrics: a counter by method, route pattern and status, and a latency histogram.

use std::time::Instant;

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;

/// The counter of answered requests.
pub const REQUESTS: &str = "propimport_http_requests_total";
/// The histogram of request latencies, in seconds.
pub const DURATION: &str = "propimport_http_request_duration_seconds";
/// The route label of a request that matched no route (a 404 of an unknown path).
pub const UNMATCHED: &str = "unmatched";

/// Records one request; the route is the matched pattern (`/api/v1/admin/import-jobs/{id}`),
/// never the raw path, so ids do not explode the label set.
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let method = req.method().to_string();
    let response = next.call(req).await?;
    let route = response
        .request()
        .match_pattern()
        .map_or_else(|| UNMATCHED.to_owned(), |p| route_label(&p));
    let status = response.status().as_u16().to_string();
    metrics::counter!(REQUESTS, "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!(DURATION, "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    Ok(response)
}

/// The label of a route pattern: a segment's regex is dropped (`{id:\d+}` becomes `{id}`),
/// and a segment matching the rest of the path (`{_:.*}`, `{tail:.+}`) becomes `*`, so
/// `/docs/{_:.*}` reads `/docs/*`.
pub(crate) fn route_label(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(len) = rest[open..].find('}') else {
            // An unbalanced pattern is kept as it is.
            out.push_str(&rest[open..]);
            return out;
        };
        let segment = &rest[open + 1..open + len];
        match segment.split_once(':') {
            Some((_, ".*" | ".+")) => out.push('*'),
            Some((name, _)) => {
                out.push('{');
                out.push_str(name);
                out.push('}');
            }
            None => {
                out.push('{');
                out.push_str(segment);
                out.push('}');
            }
        }
        rest = &rest[open + len + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::route_label;

    #[test]
    fn route_labels_drop_regexes_and_name_tails_with_a_star() {
        assert_eq!(route_label("/docs/{_:.*}"), "/docs/*");
        assert_eq!(route_label("/dashboard/{tail:.+}"), "/dashboard/*");
        assert_eq!(route_label("/a/{id:\\d+}/b"), "/a/{id}/b");
        assert_eq!(
            route_label("/api/v1/admin/import-jobs/{executionId}/cancel"),
            "/api/v1/admin/import-jobs/{executionId}/cancel"
        );
        assert_eq!(route_label("/metrics"), "/metrics");
        assert_eq!(route_label("/odd/{open"), "/odd/{open");
    }
}
