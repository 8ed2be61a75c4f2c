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
        .unwrap_or_else(|| "unmatched".to_owned());
    let status = response.status().as_u16().to_string();
    metrics::counter!(REQUESTS, "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!(DURATION, "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    Ok(response)
}
