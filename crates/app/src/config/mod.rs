//! The typed configuration, read once from the environment (and `.env`) at start-up and
//! passed down; never a global.

mod alerting;
mod http;
mod images;
mod retry;
mod scheduling;
mod sources;
mod vars;

use std::ops::RangeInclusive;
use std::time::Duration;

use propimport_persistence::{DatabaseUrl, PoolOptions};

pub use alerting::Alerting;
pub use http::{Http, random_token};
pub use images::ImageConcurrency;
pub use retry::Retrying;
pub use scheduling::Scheduling;
pub use sources::{Source, SourceDefaults, SpecOrigin, build as sources_build, camel_case};
use vars::Vars;

/// The accepted image download limits (`IMAGE_CONCURRENCY`, `IMAGE_CONCURRENCY_PER_HOST` and a
/// source's own), overall and per host.
pub const IMAGE_CONCURRENCY_LIMITS: RangeInclusive<usize> = 1..=256;

/// Everything the service is configured with.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the execution history and listings live (`DATABASE_URL`).
    pub database_url: DatabaseUrl,
    /// How long one database call may take before it fails as unavailable
    /// (`DATABASE_TIMEOUT`, see `PoolOptions::timeout`).
    pub database_timeout: Duration,
    /// How and when jobs run.
    pub scheduling: Scheduling,
    /// How failed fetches, alert deliveries and writes to an unavailable database are tried
    /// again (also set on each source's `http.retry` and the email channel's `retry`).
    pub retrying: Retrying,
    /// The configured import sources (one job each): what runs in the `config` mode, what
    /// seeds a new catalog in the `database` mode (where the commands replace them with the
    /// catalog's, `catalog::load`).
    pub sources: Vec<Source>,
    /// What sources take from the service's settings when they do not set their own.
    pub source_defaults: SourceDefaults,
    /// Where the sources are read (`IMPORT_SOURCES_MODE`: `database`, the default, or
    /// `config`).
    pub sources_mode: SourcesMode,
    /// The key sealing source credentials in the catalog (`SOURCE_CREDENTIALS_KEY`).
    pub credentials_key: Option<crate::sealing::CredentialKey>,
    /// The only folder (canonical) whose files a source added or changed through the API or
    /// the command line may read (`IMPORT_FILE_FEEDS_DIR`); `None`: such sources are fetched
    /// over HTTP only.
    pub file_feeds_dir: Option<std::path::PathBuf>,
    /// The HTTP server and admin API.
    pub http: Http,
    /// The alert channels (besides the Slack/Discord webhook), routes and links.
    pub alerting: Alerting,
    /// Where downloaded images are stored (`IMAGE_STORE_URL`: a folder, `file://…` or
    /// `memory://`).
    pub image_store_url: String,
    /// `IMPORT_TEST_SKIP_IMAGES`: record image URLs but download none.
    pub skip_images: bool,
    /// `IMAGE_ALLOWED_HOSTS`: hosts image downloads may reach although they are, or resolve
    /// to, loopback, private or link-local addresses (comma-separated).
    pub image_allowed_hosts: Vec<String>,
    /// How many image downloads run at once, overall (`IMAGE_CONCURRENCY`) and to one host
    /// (`IMAGE_CONCURRENCY_PER_HOST`), unless a source sets its own
    /// (`Source::image_limits`).
    pub image_concurrency: ImageConcurrency,
    /// `text` or `json` log lines (`LOG_FORMAT`).
    pub log_format: LogFormat,
}

/// Where the sources are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourcesMode {
    /// The source catalog in the database, seeded once from the configuration.
    Database,
    /// The configuration (sources file, variables or demo feeds), read at start-up; the
    /// catalog is read-only.
    Config,
}

/// The shape of log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

impl Config {
    /// Reads the configuration, returning every problem at once (each naming its variable).
    pub fn from_env() -> Result<Self, Vec<String>> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Vec<String>> {
        let mut vars = Vars::new(lookup);
        let database_url = match vars.raw("DATABASE_URL") {
            None => DatabaseUrl::default_sqlite(),
            Some(url) => DatabaseUrl::parse(&url).unwrap_or_else(|e| {
                vars.problem(e.to_string());
                DatabaseUrl::default_sqlite()
            }),
        };
        let database_timeout = vars.duration_within(
            "DATABASE_TIMEOUT",
            PoolOptions::DEFAULT_TIMEOUT,
            Duration::from_millis(100)..=Duration::from_secs(3600),
        );
        let log_format = vars.parsed("LOG_FORMAT", LogFormat::Text, "text or json", |t| match t {
            "text" => Some(LogFormat::Text),
            "json" => Some(LogFormat::Json),
            _ => None,
        });
        let scheduling = Scheduling::read(&mut vars);
        let retrying = Retrying::read(&mut vars);
        let http = Http::read(&mut vars);
        let image_store_url = vars
            .raw("IMAGE_STORE_URL")
            .unwrap_or_else(|| propimport_importer::ImageStorage::DEFAULT_URL.to_owned());
        if let Some((scheme, _)) = image_store_url.split_once("://")
            && scheme != "file"
            && scheme != "memory"
        {
            vars.problem(format!(
                "IMAGE_STORE_URL={image_store_url:?}: expected a folder path, file://path or memory://"
            ));
        }
        let skip_images = vars.parsed(
            "IMPORT_TEST_SKIP_IMAGES",
            false,
            "true or false",
            |t| match t.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => Some(true),
                "false" | "0" | "no" => Some(false),
                _ => None,
            },
        );
        let image_allowed_hosts: Vec<String> = vars
            .raw("IMAGE_ALLOWED_HOSTS")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .map(str::to_owned)
            .collect();
        for host in &image_allowed_hosts {
            if host.contains(['/', ' ', '@']) {
                vars.problem(format!(
                    "IMAGE_ALLOWED_HOSTS: {host:?} is not a host name or address (list hosts, not URLs, separated by commas)"
                ));
            }
        }
        let image_concurrency = ImageConcurrency::read(&mut vars);
        let timezone = vars
            .raw("TZ")
            .unwrap_or_else(|| scheduling::DEFAULT_TZ.to_owned());
        let sources_mode = vars.parsed(
            "IMPORT_SOURCES_MODE",
            SourcesMode::Database,
            "database or config",
            |t| match t.to_ascii_lowercase().as_str() {
                "database" => Some(SourcesMode::Database),
                "config" => Some(SourcesMode::Config),
                _ => None,
            },
        );
        let credentials_key = vars.raw("SOURCE_CREDENTIALS_KEY").and_then(|text| {
            crate::sealing::CredentialKey::from_hex(&text)
                .map_err(|e| vars.problem(format!("SOURCE_CREDENTIALS_KEY: {e}")))
                .ok()
        });
        let file_feeds_dir = vars.raw("IMPORT_FILE_FEEDS_DIR").and_then(|text| {
            std::fs::canonicalize(text.trim())
                .ok()
                .filter(|p| p.is_dir())
                .or_else(|| {
                    vars.problem(format!(
                        "IMPORT_FILE_FEEDS_DIR={text:?}: expected an existing folder"
                    ));
                    None
                })
        });
        let (sources, source_defaults) = sources::read(
            &mut vars,
            &timezone,
            &crate::demo_feeds::folder(&database_url),
            retrying.feed.clone(),
            image_concurrency,
        );
        let jobs: Vec<_> = sources.iter().map(|s| s.config.name.clone()).collect();
        let slack = vars.raw("IMPORT_ALERT_WEBHOOK_URL").is_some();
        let configured = (sources_mode == SourcesMode::Config).then_some(jobs.as_slice());
        let mut alerting = Alerting::read(&mut vars, configured, slack);
        if let Some(email) = &mut alerting.email {
            email.retry = retrying.delivery.clone();
        }
        vars.finish()?;
        let scheduling =
            scheduling.ok_or_else(|| vec!["invalid scheduling settings".to_owned()])?;
        Ok(Self {
            database_url,
            database_timeout,
            scheduling,
            retrying,
            sources,
            source_defaults,
            sources_mode,
            credentials_key,
            file_feeds_dir,
            http,
            alerting,
            image_store_url,
            skip_images,
            image_allowed_hosts,
            image_concurrency,
            log_format,
        })
    }
}

/// The retry policy of `source` when it sets its own `retries` or `retry_delays` (the other
/// from `global`: `IMPORT_RETRIES` / `IMPORT_RETRY_DELAYS`).
pub fn retry_policy_of(
    source: &Source,
    global: &propimport_scheduler::RunRetryPolicy,
) -> Option<propimport_scheduler::RunRetryPolicy> {
    (source.retries.is_some() || source.retry_delays.is_some()).then(|| {
        propimport_scheduler::RunRetryPolicy {
            retries: source.retries.unwrap_or(global.retries),
            delays: source
                .retry_delays
                .clone()
                .unwrap_or_else(|| global.delays.clone()),
        }
    })
}

#[cfg(test)]
mod tests;
