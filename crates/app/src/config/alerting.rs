//! Alert channels besides the Slack/Discord webhook (read with the scheduling settings): the
//! signed JSON webhook, email over SMTP, per-job routes, and the public URL that alerts link
//! to. A secret or a URL holding a password is never repeated in a problem.

use std::time::Duration;

use propimport_domain::JobName;
use propimport_scheduler::{
    AlertRoutes, EmailConfigError, EmailNotifier, EmailSettings, SignedWebhookNotifier, SmtpServer,
    SmtpTls, WebhookNotifier,
};

use super::vars::Vars;

/// The least length of `IMPORT_ALERT_JSON_WEBHOOK_SECRET`.
const MIN_SECRET_CHARS: usize = 16;

/// The signed JSON webhook's endpoint and secret.
#[derive(Clone)]
pub struct JsonWebhook {
    /// `IMPORT_ALERT_JSON_WEBHOOK_URL`.
    pub url: reqwest::Url,
    /// `IMPORT_ALERT_JSON_WEBHOOK_SECRET` (never logged).
    pub secret: String,
}

impl std::fmt::Debug for JsonWebhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonWebhook")
            .field("host", &self.url.host_str())
            .finish_non_exhaustive()
    }
}

/// The alert channels and routes.
#[derive(Debug, Clone, Default)]
pub struct Alerting {
    /// `IMPORT_ALERT_JSON_WEBHOOK_URL` and `…_SECRET`.
    pub json_webhook: Option<JsonWebhook>,
    /// `IMPORT_ALERT_SMTP_*` and `IMPORT_ALERT_EMAIL_*`.
    pub email: Option<EmailSettings>,
    /// `IMPORT_ALERT_ROUTES`.
    pub routes: AlertRoutes,
    /// `PUBLIC_URL`: the dashboard's base, for links in alerts.
    pub public_url: Option<String>,
}

impl Alerting {
    /// Reads the variables; `jobs` are the configured jobs (`None` when the source catalog
    /// holds them: a route may name any job) and `slack` whether `IMPORT_ALERT_WEBHOOK_URL` is
    /// set (both for the routes' check).
    pub fn read(
        vars: &mut Vars<impl Fn(&str) -> Option<String>>,
        jobs: Option<&[JobName]>,
        slack: bool,
    ) -> Self {
        let public_url = vars.parsed(
            "PUBLIC_URL",
            None,
            "the http:// or https:// address the dashboard is reached at, e.g. https://imports.example.com",
            |t| {
                reqwest::Url::parse(t)
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https") && u.query().is_none())
                    .map(|u| Some(u.as_str().trim_end_matches('/').to_owned()))
            },
        );
        let json_webhook = json_webhook(vars);
        let email = email(vars);
        let mut channels = Vec::new();
        if slack {
            channels.push(WebhookNotifier::CHANNEL);
        }
        if json_webhook.is_some() {
            channels.push(SignedWebhookNotifier::CHANNEL);
        }
        if email.is_some() {
            channels.push(EmailNotifier::CHANNEL);
        }
        let routes = routes(vars, jobs, &channels);
        Self {
            json_webhook,
            email,
            routes,
            public_url,
        }
    }
}

fn http_url(vars: &mut Vars<impl Fn(&str) -> Option<String>>, name: &str) -> Option<reqwest::Url> {
    let text = vars.raw(name)?;
    match reqwest::Url::parse(text.trim()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Some(u),
        // The value is not repeated: a webhook URL is a secret.
        _ => {
            vars.problem(format!("{name}: expected an http:// or https:// URL"));
            None
        }
    }
}

fn json_webhook(vars: &mut Vars<impl Fn(&str) -> Option<String>>) -> Option<JsonWebhook> {
    let url = http_url(vars, "IMPORT_ALERT_JSON_WEBHOOK_URL");
    let secret = vars.raw("IMPORT_ALERT_JSON_WEBHOOK_SECRET");
    match (url, secret) {
        (Some(url), Some(secret)) if secret.trim().chars().count() >= MIN_SECRET_CHARS => {
            Some(JsonWebhook {
                url,
                secret: secret.trim().to_owned(),
            })
        }
        (_, Some(secret)) if secret.trim().chars().count() < MIN_SECRET_CHARS => {
            vars.problem(format!(
                "IMPORT_ALERT_JSON_WEBHOOK_SECRET: expected at least {MIN_SECRET_CHARS} characters (generate one with `openssl rand -hex 32`)"
            ));
            None
        }
        (Some(_), None) => {
            vars.problem(
                "IMPORT_ALERT_JSON_WEBHOOK_SECRET: required with IMPORT_ALERT_JSON_WEBHOOK_URL (the key its alerts are signed with)".into(),
            );
            None
        }
        (None, Some(_)) if vars.raw("IMPORT_ALERT_JSON_WEBHOOK_URL").is_none() => {
            vars.problem(
                "IMPORT_ALERT_JSON_WEBHOOK_SECRET: set without IMPORT_ALERT_JSON_WEBHOOK_URL"
                    .into(),
            );
            None
        }
        _ => None,
    }
}

/// The SMTP server: `IMPORT_ALERT_SMTP_URL`, or `IMPORT_ALERT_SMTP_HOST` with the port, TLS
/// mode and credentials apart.
fn smtp_server(vars: &mut Vars<impl Fn(&str) -> Option<String>>) -> Option<SmtpServer> {
    let parts = [
        "IMPORT_ALERT_SMTP_HOST",
        "IMPORT_ALERT_SMTP_PORT",
        "IMPORT_ALERT_SMTP_TLS",
        "IMPORT_ALERT_SMTP_USERNAME",
        "IMPORT_ALERT_SMTP_PASSWORD",
    ];
    if let Some(url) = vars.raw("IMPORT_ALERT_SMTP_URL") {
        if let Some(part) = parts.iter().find(|p| vars.raw(p).is_some()) {
            vars.problem(format!(
                "{part}: set IMPORT_ALERT_SMTP_URL or the separate IMPORT_ALERT_SMTP_* variables, not both"
            ));
        }
        return SmtpServer::from_url(&url)
            .map_err(|e| vars.problem(format!("IMPORT_ALERT_SMTP_URL: {e} (expected smtps://user:password@host:465 or smtp://user:password@host:587)")))
            .ok();
    }
    let Some(host) = vars.raw("IMPORT_ALERT_SMTP_HOST") else {
        if let Some(part) = parts.iter().skip(1).find(|p| vars.raw(p).is_some()) {
            vars.problem(format!("{part}: set without IMPORT_ALERT_SMTP_HOST"));
        }
        return None;
    };
    let tls = vars.parsed(
        "IMPORT_ALERT_SMTP_TLS",
        SmtpTls::StartTls,
        "starttls, tls (implicit TLS) or none",
        SmtpTls::parse,
    );
    let port = vars.number("IMPORT_ALERT_SMTP_PORT", tls.default_port(), 1..=u16::MAX);
    let username = vars
        .raw("IMPORT_ALERT_SMTP_USERNAME")
        .map(|u| u.trim().to_owned());
    let password = vars.raw("IMPORT_ALERT_SMTP_PASSWORD");
    if password.is_some() && username.is_none() {
        vars.problem("IMPORT_ALERT_SMTP_PASSWORD: set without IMPORT_ALERT_SMTP_USERNAME".into());
    }
    Some(SmtpServer {
        host: host.trim().to_owned(),
        port,
        tls,
        username,
        password,
    })
}

fn email(vars: &mut Vars<impl Fn(&str) -> Option<String>>) -> Option<EmailSettings> {
    let server = smtp_server(vars);
    let from = vars
        .raw("IMPORT_ALERT_EMAIL_FROM")
        .map(|f| f.trim().to_owned());
    let to: Vec<String> = vars
        .raw("IMPORT_ALERT_EMAIL_TO")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect();
    let ca_file = vars.raw("IMPORT_ALERT_SMTP_CA_FILE");
    let Some(server) = server else {
        for (set, name) in [
            (from.is_some(), "IMPORT_ALERT_EMAIL_FROM"),
            (!to.is_empty(), "IMPORT_ALERT_EMAIL_TO"),
            (ca_file.is_some(), "IMPORT_ALERT_SMTP_CA_FILE"),
        ] {
            if set {
                vars.problem(format!(
                    "{name}: set without an SMTP server (IMPORT_ALERT_SMTP_URL or IMPORT_ALERT_SMTP_HOST)"
                ));
            }
        }
        return None;
    };
    let Some(from) = from else {
        vars.problem("IMPORT_ALERT_EMAIL_FROM: required with an SMTP server (the sender, e.g. propimport <alerts@example.com>)".into());
        return None;
    };
    if to.is_empty() {
        vars.problem(
            "IMPORT_ALERT_EMAIL_TO: required with an SMTP server (recipients, separated by commas)"
                .into(),
        );
        return None;
    }
    let extra_roots_pem = match ca_file.map(|path| (std::fs::read(path.trim()), path)) {
        None => None,
        Some((Ok(pem), _)) => Some(pem),
        Some((Err(e), path)) => {
            vars.problem(format!(
                "IMPORT_ALERT_SMTP_CA_FILE={path:?}: cannot be read ({e})"
            ));
            return None;
        }
    };
    let settings = EmailSettings {
        server,
        from,
        to,
        extra_roots_pem,
        timeout: Duration::from_secs(10),
        // The configured delivery policy replaces it (`Config::from_lookup`).
        retry: propimport_domain::RetryPolicy::delivery(),
    };
    match EmailNotifier::new(&settings) {
        Ok(_) => Some(settings),
        Err(e) => {
            let name = match e {
                EmailConfigError::From(_) => "IMPORT_ALERT_EMAIL_FROM",
                EmailConfigError::To(_) => "IMPORT_ALERT_EMAIL_TO",
                EmailConfigError::Certificate(_) => "IMPORT_ALERT_SMTP_CA_FILE",
            };
            vars.problem(format!("{name}: {e}"));
            None
        }
    }
}

/// `IMPORT_ALERT_ROUTES`: `job=channel,channel; job=none`, jobs and channels configured.
fn routes(
    vars: &mut Vars<impl Fn(&str) -> Option<String>>,
    jobs: Option<&[JobName]>,
    channels: &[&str],
) -> AlertRoutes {
    const NAME: &str = "IMPORT_ALERT_ROUTES";
    let mut routes = AlertRoutes::new();
    let Some(text) = vars.raw(NAME) else {
        return routes;
    };
    let known = if channels.is_empty() {
        "none is configured".to_owned()
    } else {
        format!("configured: {}", channels.join(", "))
    };
    for entry in text.split(';').map(str::trim).filter(|e| !e.is_empty()) {
        let Some((job, names)) = entry.split_once('=') else {
            vars.problem(format!(
                "{NAME}: {entry:?} is not job=channel,channel (e.g. kyero-partner=email,webhook)"
            ));
            continue;
        };
        let job = job.trim();
        let job_name = match jobs {
            Some(jobs) => jobs
                .iter()
                .find(|j| j.as_str() == job)
                .cloned()
                .ok_or_else(|| {
                    let configured: Vec<&str> = jobs.iter().map(JobName::as_str).collect();
                    format!(
                        "{NAME}: no job {job:?} (configured: {})",
                        configured.join(", ")
                    )
                }),
            None => JobName::parse(job).map_err(|e| format!("{NAME}: job {job:?}: {e}")),
        };
        let job_name = match job_name {
            Ok(name) => name,
            Err(problem) => {
                vars.problem(problem);
                continue;
            }
        };
        let names: Vec<String> = names
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty() && *n != "none")
            .map(str::to_owned)
            .collect();
        for name in &names {
            if !channels.contains(&name.as_str()) {
                vars.problem(format!(
                    "{NAME}: job {job}: no channel {name:?} ({known}; none sends nothing)"
                ));
            }
        }
        routes = routes.route(job_name, names);
    }
    routes
}
