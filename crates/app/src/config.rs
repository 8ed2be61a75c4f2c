//! The typed configuration, read once from the environment at start-up and passed down.

use propimport_persistence::DatabaseUrl;

/// Everything the service is configured with.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the execution history and listings live.
    pub database_url: DatabaseUrl,
    /// `text` or `json` log lines.
    pub log_format: LogFormat,
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

    fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Self, Vec<String>> {
        let mut problems = Vec::new();
        let database_url = match var("DATABASE_URL").filter(|v| !v.is_empty()) {
            None => DatabaseUrl::default_sqlite(),
            Some(url) => DatabaseUrl::parse(&url).unwrap_or_else(|e| {
                problems.push(e.to_string());
                DatabaseUrl::default_sqlite()
            }),
        };
        let log_format = match var("LOG_FORMAT").as_deref() {
            None | Some("" | "text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                problems.push(format!("LOG_FORMAT={other:?}: expected text or json"));
                LogFormat::Text
            }
        };
        if problems.is_empty() {
            Ok(Self {
                database_url,
                log_format,
            })
        } else {
            Err(problems)
        }
    }
}

/// Installs the log subscriber: level from `RUST_LOG` (default `info`), format from config.
pub fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match config.log_format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, Vec<String>> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn defaults_to_the_embedded_sqlite_file() {
        let c = config(&[]).unwrap();
        assert_eq!(c.database_url, DatabaseUrl::default_sqlite());
        assert_eq!(c.log_format, LogFormat::Text);
    }

    #[test]
    fn reports_every_bad_variable_by_name() {
        let problems = config(&[("DATABASE_URL", "mysql://x"), ("LOG_FORMAT", "xml")]).unwrap_err();
        assert_eq!(problems.len(), 2);
        assert!(problems[0].starts_with("DATABASE_URL="), "{problems:?}");
        assert!(
            problems[1].starts_with("LOG_FORMAT=\"xml\""),
            "{problems:?}"
        );
    }
}
