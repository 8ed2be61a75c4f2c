//! The HTTP server and admin API settings: address, authentication, the trigger limit and
//! how many jobs have per-job series in `/metrics`.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use propimport_http_api::{AuthSettings, JobSeries, JwtSettings, TriggerRateLimit};

use super::vars::Vars;

/// The default port, as the earlier service had it.
pub const DEFAULT_PORT: u16 = 5050;

/// Where the HTTP server listens and who may use the admin API.
#[derive(Debug, Clone)]
pub struct Http {
    /// `HOST` (default 127.0.0.1).
    pub host: IpAddr,
    /// `PORT` (default 5050; 0 picks a free port).
    pub port: u16,
    /// `ADMIN_API_TOKEN`, `ADMIN_JWT_SECRET`, `ADMIN_JWT_ROLE_CLAIM`, `ADMIN_JWT_ADMIN_ROLE`;
    /// `None` when neither a token nor a secret is set (a random token is generated then).
    pub auth: Option<AuthSettings>,
    /// `ADMIN_TRIGGER_INTERVAL` and `ADMIN_TRIGGER_BURST`, per caller and job (only triggers
    /// that started a run count); `None` when the interval is 0.
    pub trigger_rate_limit: Option<TriggerRateLimit>,
    /// `ADMIN_TOKEN_FILE`: where a generated token is written when it cannot be shown on a
    /// terminal (default `admin-token` next to the SQLite database, or in `./data`).
    pub token_file: Option<std::path::PathBuf>,
    /// `METRICS_JOB_SERIES` (default 100, 0 to 100,000): how many jobs, the first in
    /// configuration order, have series of their own in `/metrics`; the others are summed up
    /// in `job_name="(other)"`.
    pub metrics_job_series: JobSeries,
}

impl Http {
    /// Reads the HTTP variables.
    pub fn read(vars: &mut Vars<impl Fn(&str) -> Option<String>>) -> Self {
        let host = vars.parsed(
            "HOST",
            IpAddr::from([127, 0, 0, 1]),
            "an IP address such as 127.0.0.1 or 0.0.0.0",
            |t| t.parse().ok(),
        );
        let port = vars.number("PORT", DEFAULT_PORT, 0..=u16::MAX);
        let token = vars.raw("ADMIN_API_TOKEN").map(|t| t.trim().to_owned());
        if let Some(t) = &token
            && t.chars().count() < 16
        {
            vars.problem(format!(
                "ADMIN_API_TOKEN: expected at least 16 characters, got {} (generate one with `openssl rand -hex 32`)",
                t.chars().count()
            ));
        }
        let role_claim = vars
            .raw("ADMIN_JWT_ROLE_CLAIM")
            .unwrap_or_else(|| "app_metadata.role".to_owned());
        let admin_role = vars
            .raw("ADMIN_JWT_ADMIN_ROLE")
            .unwrap_or_else(|| "admin".to_owned());
        let jwt = vars.raw("ADMIN_JWT_SECRET").and_then(|secret| {
            match JwtSettings::new(secret.as_bytes(), &role_claim, admin_role) {
                Ok(jwt) => Some(jwt),
                Err(e) => {
                    vars.problem(format!("ADMIN_JWT_SECRET: {e}"));
                    None
                }
            }
        });
        let auth = match (token, jwt) {
            (None, None) => None,
            (token, jwt) => AuthSettings::new(token, jwt).ok(),
        };
        let interval = vars.duration("ADMIN_TRIGGER_INTERVAL", Duration::from_secs(60));
        let burst = vars.number("ADMIN_TRIGGER_BURST", 1u32, 1..=1000);
        let trigger_rate_limit = (!interval.is_zero()).then(|| TriggerRateLimit {
            period: interval,
            burst: NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN),
        });
        let token_file = vars
            .raw("ADMIN_TOKEN_FILE")
            .map(|f| std::path::PathBuf::from(f.trim()));
        let metrics_job_series =
            JobSeries(vars.number("METRICS_JOB_SERIES", JobSeries::DEFAULT.0, 0..=100_000));
        Self {
            host,
            port,
            auth,
            trigger_rate_limit,
            token_file,
            metrics_job_series,
        }
    }
}

/// A random admin token (256 bits, hex) for a service started without one.
pub fn random_token() -> std::io::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
