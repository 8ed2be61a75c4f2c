//! The import sources: several from a TOML file (`IMPORT_SOURCES_FILE`), one from
//! `IMPORT_SOURCE_*` variables, or else the demo feeds shipped in `examples/feeds/`.
//!
//! RESO Web API sources also take `page_size`, `rate_limit` (requests per second),
//! `currency` and OAuth2 client credentials (`oauth_token_url`, `client_id`,
//! `client_secret`, optional `oauth_scope`); other formats refuse them.

use std::fmt;
use std::num::NonZeroU32;
use std::path::Path;

use propimport_domain::{Currency, JobName};
use propimport_importer::{
    FeedFormat, Location, OAuthClientCredentials, RateLimit, ResoSettings, SourceConfig,
};
use propimport_scheduler::CronSchedule;
use serde::Deserialize;

use super::vars::Vars;

/// The demo feeds used when no source is configured.
pub const DEMO_FEEDS: [(&str, FeedFormat, &str); 2] = [
    (
        "demo-costa-blanca",
        FeedFormat::Kyero,
        "examples/feeds/costa-blanca.kyero.xml",
    ),
    (
        "demo-north-macedonia",
        FeedFormat::Json,
        "examples/feeds/north-macedonia.ndjson",
    ),
];

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
    // RESO Web API sources only:
    page_size: Option<Scalar>,
    rate_limit: Option<Scalar>,
    currency: Option<String>,
    oauth_token_url: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    oauth_scope: Option<String>,
}

/// A number as TOML writes it, or any value as a variable's text.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Scalar {
    Integer(i64),
    Float(f64),
    Text(String),
}

/// The largest page size accepted (`$top`).
const MAX_PAGE_SIZE: u32 = 10_000;

/// Reads the sources; problems name the variable (or the file and the source).
pub fn read(vars: &mut Vars<impl Fn(&str) -> Option<String>>, timezone: &str) -> Vec<Source> {
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
    DEMO_FEEDS
        .iter()
        .filter(|(_, _, path)| Path::new(path).exists())
        .filter_map(|(name, format, path)| {
            let mut config = SourceConfig::new(
                JobName::parse(name).ok()?,
                *format,
                Location::File(path.into()),
            );
            config.max_withdraw_fraction = default_fraction;
            Some(Source {
                config,
                schedule: None,
                download_images: false,
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
    let mut sources: Vec<Source> = Vec::new();
    for entry in parsed.sources {
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
        Some(f) => FeedFormat::parse(f)
            .ok_or_else(|| format!("{}={f:?}: expected kyero, json or reso", field("format")))?,
        None => guess_format(&entry.url).ok_or_else(|| {
            format!(
                "{}: cannot tell the format of {:?} from its name; set kyero, json or reso",
                field("format"),
                entry.url
            )
        })?,
    };
    let reso = reso_settings(&entry, format, &location, &field)?;
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
    config.http.bearer_token = entry.token;
    config.max_withdraw_fraction = max_withdraw_fraction;
    config.reso = reso;
    Ok(Source {
        config,
        schedule,
        download_images: true,
    })
}

/// Checks the RESO fields; `field` names a field as the problem should (variable or key).
/// Secrets are never repeated in a problem.
fn reso_settings(
    entry: &SourceEntry,
    format: FeedFormat,
    location: &Location,
    field: &impl Fn(&str) -> String,
) -> Result<ResoSettings, String> {
    let given = [
        ("page_size", entry.page_size.is_some()),
        ("rate_limit", entry.rate_limit.is_some()),
        ("currency", entry.currency.is_some()),
        ("oauth_token_url", entry.oauth_token_url.is_some()),
        ("client_id", entry.client_id.is_some()),
        ("client_secret", entry.client_secret.is_some()),
        ("oauth_scope", entry.oauth_scope.is_some()),
    ];
    if format != FeedFormat::Reso {
        return match given.iter().find(|(_, set)| *set) {
            Some((name, _)) => Err(format!(
                "{}: only RESO Web API sources (format reso) use it",
                field(name)
            )),
            None => Ok(ResoSettings::default()),
        };
    }
    if !matches!(location, Location::Url(_)) {
        return Err(format!(
            "{}: a RESO Web API source needs an http(s) URL",
            field("url")
        ));
    }
    let mut settings = ResoSettings::default();
    if let Some(size) = &entry.page_size {
        settings.page_size = size
            .text()
            .parse::<u32>()
            .ok()
            .filter(|n| *n <= MAX_PAGE_SIZE)
            .and_then(NonZeroU32::new)
            .ok_or_else(|| {
                format!(
                    "{}={size}: expected a whole number from 1 to {MAX_PAGE_SIZE}",
                    field("page_size")
                )
            })?;
    }
    if let Some(rate) = &entry.rate_limit {
        let limit = RateLimit::parse(&rate.text()).map_err(|_| {
            format!(
                "{}={rate}: expected requests per second, from {} to {}",
                field("rate_limit"),
                RateLimit::MIN_PER_SECOND,
                RateLimit::MAX_PER_SECOND
            )
        })?;
        settings.rate_limit = Some(limit);
    }
    if let Some(code) = &entry.currency {
        let currency = Currency::parse(code).map_err(|_| {
            format!(
                "{}={code:?}: expected a currency code such as USD",
                field("currency")
            )
        })?;
        settings.currency = Some(currency);
    }
    let oauth = (
        &entry.oauth_token_url,
        &entry.client_id,
        &entry.client_secret,
    );
    settings.oauth = match oauth {
        (None, None, None) if entry.oauth_scope.is_none() => None,
        (Some(url), Some(client_id), Some(client_secret)) => {
            let Ok(Location::Url(token_url)) = Location::parse(url) else {
                let name = field("oauth_token_url");
                return Err(format!(
                    "{name}={url:?}: expected an http:// or https:// URL"
                ));
            };
            Some(OAuthClientCredentials {
                token_url,
                client_id: client_id.clone(),
                client_secret: client_secret.clone(),
                scope: entry.oauth_scope.clone(),
            })
        }
        (url, id, _) => {
            let missing = match (url, id) {
                (None, _) => "oauth_token_url",
                (_, None) => "client_id",
                _ => "client_secret",
            };
            return Err(format!(
                "{}: is not set; OAuth2 client credentials need a token URL, a client id and a client secret",
                field(missing)
            ));
        }
    };
    Ok(settings)
}

impl Scalar {
    fn text(&self) -> String {
        match self {
            Self::Integer(n) => n.to_string(),
            Self::Float(f) => f.to_string(),
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

fn guess_format(url: &str) -> Option<FeedFormat> {
    let path = url
        .split(['?', '#'])
        .next()
        .unwrap_or(url)
        .to_ascii_lowercase();
    if path.contains("/odata/") {
        Some(FeedFormat::Reso)
    } else if path.ends_with(".xml") {
        Some(FeedFormat::Kyero)
    } else if [".json", ".ndjson", ".jsonl"]
        .iter()
        .any(|e| path.ends_with(e))
    {
        Some(FeedFormat::Json)
    } else {
        None
    }
}
