//! The import sources: several from a TOML file (`IMPORT_SOURCES_FILE`), one from
//! `IMPORT_SOURCE_*` variables, or else the demo feeds (part of the binary, see
//! `demo_feeds`). Relative paths in a sources file are relative to the file's folder.
//!
//! Every source may set its HTTP timeouts (`connect_timeout`, `read_timeout`, `timeout`:
//! `30s`, `5m` or a number of seconds) and its retries of failed scheduled runs (`retries`,
//! `retry_delays`: instead of `IMPORT_RETRIES`, `IMPORT_RETRY_DELAYS`) and its image download
//! limits (`image_concurrency`, `image_concurrency_per_host`: instead of `IMAGE_CONCURRENCY`,
//! `IMAGE_CONCURRENCY_PER_HOST`); snapshot sources
//! (Kyero, JSON) may set `allow_empty`.
//! RESO Web API sources also take `page_size`, `rate_limit` (requests per second),
//! `currency` and OAuth2 client credentials (`oauth_token_url`, `client_id`,
//! `client_secret`, optional `oauth_scope`); other formats refuse them.

mod build;
mod reso;
mod settings;

use std::path::Path;

use propimport_domain::{JobName, Setting, SourceSpec};
use propimport_importer::{Location, SourceConfig};
use propimport_scheduler::CronSchedule;
use serde::Deserialize;

use super::vars::Vars;
pub use build::build;

/// A source and, when it has its own, its schedule.
#[derive(Debug, Clone)]
pub struct Source {
    /// The source.
    pub config: SourceConfig,
    /// Its own schedule; `None` means `IMPORT_CRON_SCHEDULE`.
    pub schedule: Option<CronSchedule>,
    /// Whether its images are downloaded (the demo feeds' image URLs are placeholders under
    /// the reserved `.invalid` domain, so theirs are only recorded).
    pub download_images: bool,
    /// Its own number of retries of a failed scheduled run (`retries`); `None`: `IMPORT_RETRIES`.
    pub retries: Option<u32>,
    /// Its own retry delays (`retry_delays`); `None`: `IMPORT_RETRY_DELAYS`.
    pub retry_delays: Option<Vec<std::time::Duration>>,
    /// Its own limit of image downloads at once (`image_concurrency`); `None`:
    /// `IMAGE_CONCURRENCY`.
    pub image_concurrency: Option<usize>,
    /// Its own limit of image downloads at once to one host (`image_concurrency_per_host`);
    /// `None`: `IMAGE_CONCURRENCY_PER_HOST`.
    pub image_concurrency_per_host: Option<usize>,
    /// A demo feed's contents, part of the binary, written to its file before a run
    /// (`demo_feeds::materialize`); `None` for configured sources.
    pub embedded: Option<&'static [u8]>,
    /// The source as it was written (credentials included): what the catalog is seeded with.
    pub spec: SourceSpec,
}

impl Source {
    /// Its image download limits: its own where it sets them, else `defaults` (its per-host
    /// limit never above its overall one).
    pub fn image_limits(&self, defaults: super::ImageConcurrency) -> super::ImageConcurrency {
        let overall = self.image_concurrency.unwrap_or(defaults.overall);
        super::ImageConcurrency {
            overall,
            per_host: self
                .image_concurrency_per_host
                .unwrap_or(defaults.per_host)
                .min(overall),
        }
    }

    /// The file and contents of a demo source's embedded feed; `None` for configured sources.
    pub fn embedded_feed(&self) -> Option<(&Path, &'static [u8])> {
        match (self.embedded, &self.config.location) {
            (Some(bytes), Location::File(path)) => Some((path.as_path(), bytes)),
            _ => None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourcesFile {
    #[serde(default)]
    sources: Vec<SourceSpec>,
}

/// Where a source's settings were written, which decides how a problem names a setting: a
/// variable (`IMPORT_SOURCE_URL`), a file's key (`IMPORT_SOURCES_FILE="…": source "x": url`)
/// or an API field (`url`, `connectTimeout`).
#[derive(Debug, Clone)]
pub enum SpecOrigin {
    /// `IMPORT_SOURCE_*` variables: the prefix.
    Vars(String),
    /// A sources file: the prefix naming the file and the source.
    File(String),
    /// The admin API or the command line: camelCase field names.
    Api,
}

impl SpecOrigin {
    /// How a problem names the setting whose file key is `key`.
    fn field(&self, key: &str) -> String {
        match self {
            Self::Vars(prefix) => format!("{prefix}{}", key.to_ascii_uppercase()),
            Self::File(prefix) => format!("{prefix}{key}"),
            Self::Api => camel_case(key),
        }
    }

    /// The setting's own name, without the file's prefix.
    fn key(&self, key: &str) -> String {
        match self {
            Self::File(_) => key.to_owned(),
            other => other.field(key),
        }
    }

    /// What goes before a problem of the schedule, which names its field itself.
    fn schedule_prefix(&self) -> String {
        match self {
            Self::Vars(_) => String::new(),
            Self::File(prefix) => prefix.clone(),
            Self::Api => "schedule: ".to_owned(),
        }
    }
}

/// `snake_case` as `camelCase` (a key as the API writes it).
pub fn camel_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// What a source takes from the service's settings when it does not set its own.
#[derive(Debug, Clone)]
pub struct SourceDefaults {
    /// The zone of its schedule (`TZ`).
    pub timezone: String,
    /// `IMPORT_MAX_WITHDRAW_FRACTION`.
    pub max_withdraw_fraction: f64,
    /// Where the demo feeds are written: a source reading one of them gets its contents.
    pub demo_folder: std::path::PathBuf,
    /// How its feed's HTTP requests are retried (`IMPORT_FETCH_ATTEMPTS`).
    pub feed_retry: propimport_domain::RetryPolicy,
    /// `IMAGE_CONCURRENCY` and `IMAGE_CONCURRENCY_PER_HOST`.
    pub image_concurrency: super::ImageConcurrency,
}

/// Reads the sources and the defaults they take; problems name the variable (or the file and
/// the source). Without any, the demo feeds, read from `demo_folder` (where they are written
/// before a run).
pub fn read(
    vars: &mut Vars<impl Fn(&str) -> Option<String>>,
    timezone: &str,
    demo_folder: &Path,
    feed_retry: propimport_domain::RetryPolicy,
    image_concurrency: super::ImageConcurrency,
) -> (Vec<Source>, SourceDefaults) {
    let max_withdraw_fraction = vars.parsed(
        "IMPORT_MAX_WITHDRAW_FRACTION",
        0.3,
        "a number from 0 to 1",
        |t| t.parse::<f64>().ok().filter(|f| (0.0..=1.0).contains(f)),
    );
    let defaults = SourceDefaults {
        timezone: timezone.to_owned(),
        max_withdraw_fraction,
        demo_folder: demo_folder.to_owned(),
        feed_retry,
        image_concurrency,
    };
    if let Some(file) = vars.raw("IMPORT_SOURCES_FILE") {
        return (from_file(vars, &file, &defaults), defaults);
    }
    if let Some(url) = vars.raw("IMPORT_SOURCE_URL") {
        let text = |vars: &mut Vars<_>, name: &str| vars.raw(name).map(Setting::Text);
        let spec = SourceSpec {
            name: vars
                .raw("IMPORT_SOURCE_NAME")
                .unwrap_or_else(|| JobName::default_import().to_string()),
            format: vars.raw("IMPORT_SOURCE_FORMAT"),
            url,
            token: vars.raw("IMPORT_SOURCE_TOKEN"),
            allow_empty: text(vars, "IMPORT_SOURCE_ALLOW_EMPTY"),
            connect_timeout: text(vars, "IMPORT_SOURCE_CONNECT_TIMEOUT"),
            read_timeout: text(vars, "IMPORT_SOURCE_READ_TIMEOUT"),
            timeout: text(vars, "IMPORT_SOURCE_TIMEOUT"),
            page_size: text(vars, "IMPORT_SOURCE_PAGE_SIZE"),
            rate_limit: text(vars, "IMPORT_SOURCE_RATE_LIMIT"),
            currency: vars.raw("IMPORT_SOURCE_CURRENCY"),
            oauth_token_url: vars.raw("IMPORT_SOURCE_OAUTH_TOKEN_URL"),
            client_id: vars.raw("IMPORT_SOURCE_CLIENT_ID"),
            client_secret: vars.raw("IMPORT_SOURCE_CLIENT_SECRET"),
            oauth_scope: vars.raw("IMPORT_SOURCE_OAUTH_SCOPE"),
            ..SourceSpec::default()
        };
        let origin = SpecOrigin::Vars("IMPORT_SOURCE_".to_owned());
        let sources = build(spec, &defaults, &origin).map_or_else(
            |problem| {
                vars.problem(problem);
                Vec::new()
            },
            |source| vec![source],
        );
        return (sources, defaults);
    }
    let demos = crate::demo_feeds::DEMO_FEEDS
        .iter()
        .filter_map(|feed| {
            let spec = SourceSpec {
                name: feed.name.to_owned(),
                url: demo_folder.join(feed.file_name).display().to_string(),
                format: Some(feed.format.name().to_owned()),
                download_images: Some(Setting::Bool(false)),
                ..SourceSpec::default()
            };
            build(spec, &defaults, &SpecOrigin::Api).ok()
        })
        .collect();
    (demos, defaults)
}

fn from_file(
    vars: &mut Vars<impl Fn(&str) -> Option<String>>,
    file: &str,
    defaults: &SourceDefaults,
) -> Vec<Source> {
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) => {
            vars.problem(format!("IMPORT_SOURCES_FILE={file:?}: cannot read it: {e}"));
            return Vec::new();
        }
    };
    let parsed: SourcesFile = match toml::from_str(&text) {
        Ok(parsed) => parsed,
        Err(e) => {
            vars.problem(format!(
                "IMPORT_SOURCES_FILE={file:?}: {}",
                e.to_string().trim()
            ));
            return Vec::new();
        }
    };
    if parsed.sources.is_empty() {
        vars.problem(format!(
            "IMPORT_SOURCES_FILE={file:?}: no [[sources]] entry"
        ));
    }
    // Relative paths in the file are relative to the file's folder, wherever the service
    // is started from.
    let base = Path::new(file).parent().unwrap_or(Path::new(""));
    let mut sources: Vec<Source> = Vec::new();
    for mut spec in parsed.sources {
        spec.url = relative_to(base, &spec.url);
        let name = spec.name.clone();
        let origin = SpecOrigin::File(format!("IMPORT_SOURCES_FILE={file:?}: source {name:?}: "));
        match build(spec, defaults, &origin) {
            Ok(source) if sources.iter().any(|s| s.config.name == source.config.name) => {
                vars.problem(format!(
                    "IMPORT_SOURCES_FILE={file:?}: source {name:?} is defined twice"
                ));
            }
            Ok(source) => sources.push(source),
            Err(problem) => vars.problem(problem),
        }
    }
    sources
}

/// `url` with a relative file path (plain or `file://`) resolved against `base`; URLs and
/// absolute paths as they are.
fn relative_to(base: &Path, url: &str) -> String {
    let trimmed = url.trim();
    let (scheme, path) = match trimmed.strip_prefix("file://") {
        Some(path) => ("file://", path),
        None if trimmed.contains("://") => return url.to_owned(),
        None => ("", trimmed),
    };
    if path.is_empty() || Path::new(path).is_absolute() || base.as_os_str().is_empty() {
        return url.to_owned();
    }
    format!("{scheme}{}", base.join(path).display())
}
