//! The import sources: several from a TOML file (`IMPORT_SOURCES_FILE`), one from
//! `IMPORT_SOURCE_*` variables, or else the demo feeds shipped in `examples/feeds/`.

use std::path::Path;

use propimport_domain::JobName;
use propimport_importer::{FeedFormat, Location, SourceConfig};
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
}

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
            .ok_or_else(|| format!("{}={f:?}: expected kyero or json", field("format")))?,
        None => guess_format(&entry.url).ok_or_else(|| {
            format!(
                "{}: cannot tell the format of {:?} from its name; set kyero or json",
                field("format"),
                entry.url
            )
        })?,
    };
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
    Ok(Source { config, schedule })
}

fn guess_format(url: &str) -> Option<FeedFormat> {
    let path = url
        .split(['?', '#'])
        .next()
        .unwrap_or(url)
        .to_ascii_lowercase();
    if path.ends_with(".xml") {
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
