//! The benchmark's settings: arguments and `BENCH_*` variables, the backends and the feed formats.

use super::settings::Settings;
use anyhow::{Context as _, bail};
use serde::Serialize;

use crate::generate::JsonForm;
use crate::shared;

const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Self::Postgres => "postgres",
            Self::Sqlite => "sqlite",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Json,
    Kyero,
    Reaxml,
    Blm,
    Openimmo,
}

impl Format {
    /// Every format, in the order the benchmark runs them.
    pub const ALL: [Self; 5] = [
        Self::Json,
        Self::Kyero,
        Self::Reaxml,
        Self::Blm,
        Self::Openimmo,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Kyero => "kyero",
            Self::Reaxml => "reaxml",
            Self::Blm => "blm",
            Self::Openimmo => "openimmo",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Kyero => "kyero.xml",
            Self::Reaxml => "reaxml.xml",
            Self::Blm => "blm",
            Self::Openimmo => "openimmo.xml",
        }
    }

    /// Whether every case runs for it (re-import, memory at every size); the other formats are
    /// read and imported once at the throughput size.
    pub fn is_main(self) -> bool {
        matches!(self, Self::Json | Self::Kyero)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Config {
    pub quick: bool,
    /// Exit non-zero when a target is missed (`--strict`, `BENCH_STRICT=1`).
    pub strict: bool,
    pub listings: u64,
    pub rss_sizes: Vec<u64>,
    pub backends: Vec<Backend>,
    pub formats: Vec<Format>,
    #[serde(skip)]
    pub json_form: JsonForm,
    pub json_form_name: String,
    #[serde(skip)]
    pub pg_url: String,
    pub child_timeout_s: u64,
    /// How many times each case runs (each on a fresh database); the fastest counts
    /// (`--repeat`, `BENCH_REPEAT`, default 1). On a shared machine the fastest of a few runs is
    /// the one least disturbed by the rest of the machine.
    pub repeat: u32,
}

impl Config {
    pub fn read(args: &[String]) -> anyhow::Result<Self> {
        let settings = Settings::new(args);
        let strict = settings.flag("strict", "BENCH_STRICT");
        let quick = settings.flag("quick", "BENCH_QUICK");
        let (listings, rss_sizes) = if quick {
            (10_000, vec![10_000, 50_000])
        } else {
            (100_000, vec![100_000, 1_000_000])
        };
        let listings = settings.count("listings", "BENCH_LISTINGS", listings)?;
        let rss_sizes = match settings.value("rss-sizes", "BENCH_RSS_SIZES") {
            Some(v) => v
                .split(',')
                .map(shared::parse_count)
                .collect::<anyhow::Result<_>>()?,
            None => rss_sizes,
        };
        let backends = match settings.value("backends", "BENCH_BACKENDS") {
            Some(v) => v
                .split(',')
                .map(|b| match b.trim() {
                    "postgres" | "pg" => Ok(Backend::Postgres),
                    "sqlite" => Ok(Backend::Sqlite),
                    other => bail!("unknown backend {other:?} (postgres, sqlite)"),
                })
                .collect::<anyhow::Result<_>>()?,
            None => vec![Backend::Postgres, Backend::Sqlite],
        };
        let formats = match settings.value("formats", "BENCH_FORMATS") {
            Some(v) => v
                .split(',')
                .map(|f| {
                    let f = f.trim();
                    Format::ALL
                        .into_iter()
                        .find(|format| format.name() == f)
                        .with_context(|| {
                            let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
                            format!("unknown format {f:?} ({})", names.join(", "))
                        })
                })
                .collect::<anyhow::Result<_>>()?,
            None => Format::ALL.to_vec(),
        };
        let json_form_name = settings
            .value("json-form", "BENCH_JSON_FORM")
            .unwrap_or("array".into());
        let json_form = match json_form_name.as_str() {
            "array" => JsonForm::Array,
            "ndjson" => JsonForm::Ndjson,
            other => bail!("unknown JSON form {other:?} (array, ndjson)"),
        };
        let child_timeout_s = match settings.value("timeout", "BENCH_CHILD_TIMEOUT") {
            Some(v) => v.trim().parse().context("timeout in seconds")?,
            None => 900,
        };
        let repeat = match settings.value("repeat", "BENCH_REPEAT") {
            Some(v) => v
                .trim()
                .parse()
                .ok()
                .filter(|n| *n >= 1)
                .with_context(|| format!("repeat: {v:?} is not a count of at least 1"))?,
            None => 1,
        };
        let pg_url = std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| DEFAULT_PG_URL.to_owned());
        Ok(Self {
            quick,
            strict,
            listings,
            rss_sizes,
            backends,
            formats,
            json_form,
            json_form_name,
            pg_url,
            child_timeout_s,
            repeat,
        })
    }
}
