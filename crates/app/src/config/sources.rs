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

mod reso;
mod settings;

use std::fmt;
use std::path::Path;

use propimport_domain::JobName;
use propimport_importer::{FeedFormat, Location, SourceConfig};
use propimport_scheduler::CronSchedule;
use serde::Deserialize;

use super::vars::Vars;
use reso::reso_settings;

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
}

impl Source {
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
    sources: Vec<SourceEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceEntry {
    name: String,
    format: Option<String>,
    url: String,
    token: Option<String>,
    schedule: Option<String>,
    max_withdraw_fraction: Option<f64>,
    allow_empty: Option<Scalar>,
    connect_timeout: Option<Scalar>,
    read_timeout: Option<Scalar>,
    timeout: Option<Scalar>,
    retries: Option<Scalar>,
    retry_delays: Option<Scalar>,
    image_concurrency: Option<Scalar>,
    image_concurrency_per_host: Option<Scalar>,
    // RESO Web API sources only:
    page_size: Option<Scalar>,
    rate_limit: Option<Scalar>,
    currency: Option<String>,
    oauth_token_url: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    oauth_scope: Option<String>,
}

/// A number or boolean as TOML writes it, or any value as a variable's text.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Scalar {
    Integer(i64),
    Float(f64),
    Bool(bool),
    Text(String),
}

/// Reads the sources; problems name the variable (or the file and the source). Without any,
/// the demo feeds, read from `demo_folder` (where they are written before a run).
pub fn read(
    vars: &mut Vars<impl Fn(&str) -> Option<String>>,
    timezone: &str,
    demo_folder: &Path,
) -> Vec<Source> {
    let default_fraction = vars.parsed(
        "IMPORT_MAX_WITHDRAW_FRACTION",
        0.3,
        "a number from 0 to 1",
        |t| t.parse::<f64>().ok().filter(|f| (0.0..=1.0).contains(f)),
    );
    if let Some(file) = vars.raw("IMPORT_SOURCES_FILE") {
        return from_file(vars, &file, timezone, default_fraction);
    }
    if let Some(url) = vars.raw("IMPORT_SOURCE_URL") {
        let entry = SourceEntry {
            name: vars
                .raw("IMPORT_SOURCE_NAME")
                .unwrap_or_else(|| JobName::default_import().to_string()),
            format: vars.raw("IMPORT_SOURCE_FORMAT"),
            url,
            token: vars.raw("IMPORT_SOURCE_TOKEN"),
            schedule: None,
            max_withdraw_fraction: Some(default_fraction),
            allow_empty: vars.raw("IMPORT_SOURCE_ALLOW_EMPTY").map(Scalar::Text),
            connect_timeout: vars.raw("IMPORT_SOURCE_CONNECT_TIMEOUT").map(Scalar::Text),
            read_timeout: vars.raw("IMPORT_SOURCE_READ_TIMEOUT").map(Scalar::Text),
            timeout: vars.raw("IMPORT_SOURCE_TIMEOUT").map(Scalar::Text),
            retries: None,
            retry_delays: None,
            image_concurrency: None,
            image_concurrency_per_host: None,
            page_size: vars.raw("IMPORT_SOURCE_PAGE_SIZE").map(Scalar::Text),
            rate_limit: vars.raw("IMPORT_SOURCE_RATE_LIMIT").map(Scalar::Text),
            currency: vars.raw("IMPORT_SOURCE_CURRENCY"),
            oauth_token_url: vars.raw("IMPORT_SOURCE_OAUTH_TOKEN_URL"),
            client_id: vars.raw("IMPORT_SOURCE_CLIENT_ID"),
            client_secret: vars.raw("IMPORT_SOURCE_CLIENT_SECRET"),
            oauth_scope: vars.raw("IMPORT_SOURCE_OAUTH_SCOPE"),
        };
        return build(entry, timezone, default_fraction, "IMPORT_SOURCE_").map_or_else(
            |problem| {
                vars.problem(problem);
                Vec::new()
            },
            |source| vec![source],
        );
    }
    crate::demo_feeds::DEMO_FEEDS
        .iter()
        .filter_map(|feed| {
            let mut config = SourceConfig::new(
                JobName::parse(feed.name).ok()?,
                feed.format,
                Location::File(demo_folder.join(feed.file_name)),
            );
            config.max_withdraw_fraction = default_fraction;
            Some(Source {
                config,
                schedule: None,
                download_images: false,
                retries: None,
                retry_delays: None,
                image_concurrency: None,
                image_concurrency_per_host: None,
                embedded: Some(feed.bytes),
            })
        })
        .collect()
}

fn from_file(
    vars: &mut Vars<impl Fn(&str) -> Option<String>>,
    file: &str,
    timezone: &str,
    fraction: f64,
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
    for mut entry in parsed.sources {
        entry.url = relative_to(base, &entry.url);
        let name = entry.name.clone();
        match build(
            entry,
            timezone,
            fraction,
            &format!("IMPORT_SOURCES_FILE={file:?}: source {name:?}: "),
        ) {
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

/// Checks one entry; `context` prefixes each problem (a variable prefix or a file and source).
fn build(
    entry: SourceEntry,
    timezone: &str,
    fraction: f64,
    context: &str,
) -> Result<Source, String> {
    let field = |f: &str| {
        if context.ends_with('_') {
            format!("{context}{}", f.to_ascii_uppercase())
        } else {
            format!("{context}{f}")
        }
    };
    let name = JobName::parse(&entry.name)
        .map_err(|e| format!("{}={:?}: {}", field("name"), entry.name, e))?;
    let location = Location::parse(&entry.url)
        .map_err(|e| format!("{}={:?}: {e}", field("url"), entry.url))?;
    let format = match &entry.format {
        Some(f) => FeedFormat::parse(f).ok_or_else(|| {
            format!(
                "{}={f:?}: expected one of {}",
                field("format"),
                FeedFormat::names()
            )
        })?,
        None => guess_format(&entry.url),
    };
    let reso = reso_settings(&entry, format, &location, &field)?;
    let http = settings::http(&entry, &field)?;
    let allow_empty = settings::allow_empty(&entry, format, &field)?;
    let (retries, retry_delays) = settings::retries(&entry, &field)?;
    let (image_concurrency, image_concurrency_per_host) =
        settings::image_concurrency(&entry, &field)?;
    if reso.oauth.is_some() && entry.token.is_some() {
        return Err(format!(
            "{}: set a bearer token or OAuth2 client credentials, not both",
            field("token")
        ));
    }
    let max_withdraw_fraction = entry.max_withdraw_fraction.unwrap_or(fraction);
    if !(0.0..=1.0).contains(&max_withdraw_fraction) {
        return Err(format!(
            "{}={max_withdraw_fraction}: expected a number from 0 to 1",
            field("max_withdraw_fraction")
        ));
    }
    let schedule = entry
        .schedule
        .map(|expr| {
            CronSchedule::parse(&expr, timezone).map_err(|e| {
                format!(
                    "{}{e}",
                    if context.ends_with('_') {
                        String::new()
                    } else {
                        context.to_owned()
                    }
                )
            })
        })
        .transpose()?;
    let mut config = SourceConfig::new(name, format, location);
    config.http = http;
    config.http.bearer_token = entry.token;
    config.allow_empty = allow_empty;
    config.max_withdraw_fraction = max_withdraw_fraction;
    config.reso = reso;
    Ok(Source {
        config,
        schedule,
        download_images: true,
        retries,
        retry_delays,
        image_concurrency,
        image_concurrency_per_host,
        embedded: None,
    })
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

impl Scalar {
    fn text(&self) -> String {
        match self {
            Self::Integer(n) => n.to_string(),
            Self::Float(f) => f.to_string(),
            Self::Bool(b) => b.to_string(),
            Self::Text(t) => t.trim().to_owned(),
        }
    }
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Text(text) => write!(f, "{text:?}"),
            other => f.write_str(&other.text()),
        }
    }
}

/// The format of a source whose configuration names none: a RESO Web API for an OData URL
/// (its pages cannot be told from a feed before paging), otherwise detected from the
/// document's first bytes at each run (`auto`).
fn guess_format(url: &str) -> FeedFormat {
    let path = url
        .split(['?', '#'])
        .next()
        .unwrap_or(url)
        .to_ascii_lowercase();
    if path.contains("/odata/") {
        FeedFormat::RESO
    } else {
        FeedFormat::AUTO
    }
}
