//! `propimport health`: asks a running service whether it is ready (`/readyz`) or alive
//! (`/healthz`, with `--live`) and says so in one line, exit code 0 or 1, so that a container's
//! health check needs no other tool in the image.

use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

/// The flags of `propimport health`.
#[derive(Debug, Args)]
pub struct HealthArgs {
    /// The port the service listens on, on this machine.
    #[arg(long, env = "PORT", default_value_t = 5050)]
    port: u16,
    /// The service's base URL instead (e.g. http://10.0.0.5:5050); overrides --port.
    #[arg(long)]
    url: Option<String>,
    /// Only ask whether the process is alive (`/healthz`), not whether it is ready.
    #[arg(long)]
    live: bool,
    /// How long to wait for the answer.
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
    timeout: Duration,
}

/// Asks the service and prints one line: `ok: …` on stdout (exit 0) or `error: …` on stderr
/// (exit 1).
pub async fn health(args: &HealthArgs) -> ExitCode {
    let base = match &args.url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => format!("http://127.0.0.1:{}", args.port),
    };
    let url = format!("{base}{}", if args.live { "/healthz" } else { "/readyz" });
    match check(&url, args.timeout).await {
        Ok(status) => {
            println!("ok: {url} answered {status}");
            ExitCode::SUCCESS
        }
        Err(why) => {
            eprintln!("error: {url}: {why}");
            ExitCode::FAILURE
        }
    }
}

/// The service's status word (`ready`, `ok`), or why it is not healthy.
async fn check(url: &str, timeout: Duration) -> Result<String, String> {
    // The service is asked directly, never through a proxy of the environment.
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(timeout)
        .build()
        .map_err(|e| format!("cannot build an HTTP client: {e}"))?;
    let response = client.get(url).send().await.map_err(|e| {
        if e.is_timeout() {
            format!("no answer within {}", humantime::format_duration(timeout))
        } else if e.is_builder() {
            format!("not a valid URL ({e})")
        } else {
            format!("no answer: {}", root_cause(&e))
        }
    })?;
    let code = response.status();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    let word = body["status"].as_str().unwrap_or("").to_owned();
    if code.is_success() {
        return Ok(if word.is_empty() {
            code.to_string()
        } else {
            word
        });
    }
    let failed: Vec<String> = body["checks"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(name, c)| c["error"].as_str().map(|e| format!("{name}: {e}")))
        .collect();
    Err(if failed.is_empty() {
        format!("answered {code}")
    } else {
        format!("answered {code}: {}", failed.join("; "))
    })
}

/// The innermost error's message (reqwest's own says only "error sending request").
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut inner = e;
    while let Some(source) = inner.source() {
        inner = source;
    }
    inner.to_string()
}
