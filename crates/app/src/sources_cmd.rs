//! `propimport sources …`: the source catalog from the command line, through the same checks,
//! store and audit as the admin API (the actor is `cli:<login>`). A change is picked up by
//! every running replica within a second.

use std::process::ExitCode;
use std::sync::Arc;

use propimport_domain::{JobName, SourceView, SystemClock};
use propimport_http_api::dto::{SourceDto, SourceFields};
use propimport_http_api::{ChangeBy, SourceAdmin, SourceRefusal};
use propimport_persistence::SqlSourceStore;
use serde_json::{Map, Value};

use crate::catalog::Catalog;
use crate::config::Config;
use crate::database::open;
use crate::jobs_cmd::cli_actor;
use crate::usage::usage;

/// What `sources` does.
#[derive(Debug, clap::Subcommand)]
pub enum SourcesCommand {
    /// List the sources: name, enabled, format, schedule, version, URL.
    List {
        /// Print JSON: each source as the API writes it.
        #[arg(long)]
        json: bool,
    },
    /// Show one source (which credentials are set, never their values).
    Show {
        /// The source's name.
        name: String,
        /// Print JSON: the source as the API writes it.
        #[arg(long)]
        json: bool,
    },
    /// Add a source (checked as the start-up configuration is).
    Add {
        /// Its name (the job's).
        #[arg(long)]
        name: String,
        /// Its feed: an http(s):// URL, a file:// URL or a path.
        #[arg(long)]
        url: String,
        /// Its format (default: detected at each run).
        #[arg(long)]
        format: Option<String>,
        /// Its own cron expression (default: IMPORT_CRON_SCHEDULE).
        #[arg(long)]
        schedule: Option<String>,
        /// The IANA zone of its schedule (default: TZ).
        #[arg(long)]
        timezone: Option<String>,
        /// Add it disabled (it runs once enabled).
        #[arg(long)]
        disabled: bool,
        /// Any other field, as KEY=VALUE (camelCase or snake_case keys; `KEY=@FILE` reads the
        /// value from a file, for credentials).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
    },
    /// Change fields of a source: KEY=VALUE sets one, KEY=null unsets it (`KEY=@FILE` reads
    /// the value from a file).
    Set {
        /// The source's name.
        name: String,
        /// The fields to change.
        #[arg(required = true, value_name = "KEY=VALUE")]
        fields: Vec<String>,
        /// Only if the source is still at this version.
        #[arg(long)]
        if_version: Option<i64>,
    },
    /// Enable a source: it is scheduled again.
    Enable {
        /// The source's name.
        name: String,
    },
    /// Disable a source: it is no longer scheduled (its definition and history stay).
    Disable {
        /// The source's name.
        name: String,
    },
    /// Delete a source (its history and listings stay).
    Delete {
        /// The source's name.
        name: String,
        /// Only if the source is still at this version.
        #[arg(long)]
        if_version: Option<i64>,
    },
}

/// Runs a `sources` command.
pub async fn run(config: Config, command: SourcesCommand) -> anyhow::Result<ExitCode> {
    let db = open(&config).await?;
    let catalog = Catalog::new(
        &config,
        Arc::new(SqlSourceStore::new(db.clone())),
        Arc::new(SystemClock),
    );
    catalog.seed_if_new().await?;
    let by = ChangeBy {
        actor: cli_actor(),
        remote_addr: None,
    };
    let result = match command {
        SourcesCommand::List { json } => {
            let views = catalog.list().await.map_err(refusal)?;
            if json {
                print_json(&views.iter().map(SourceDto::from).collect::<Vec<_>>())?;
            } else {
                print_table(&views);
            }
            Ok(())
        }
        SourcesCommand::Show { name, json } => {
            let view = catalog.get(&job(&name)?).await.map_err(refusal)?;
            if json {
                print_json(&SourceDto::from(&view))?;
            } else {
                print_one(&view)?;
            }
            Ok(())
        }
        SourcesCommand::Add {
            name,
            url,
            format,
            schedule,
            timezone,
            disabled,
            set,
        } => {
            let mut body = fields(&set)?;
            body.insert("name".into(), Value::String(name));
            body.insert("url".into(), Value::String(url));
            for (key, value) in [
                ("format", format),
                ("schedule", schedule),
                ("timezone", timezone),
            ] {
                if let Some(value) = value {
                    body.insert(key.into(), Value::String(value));
                }
            }
            if disabled {
                body.insert("enabled".into(), Value::Bool(false));
            }
            let view = catalog.create(body, &by).await.map_err(refusal)?;
            println!(
                "added {} (version {})",
                view.source.name, view.source.version
            );
            Ok(())
        }
        SourcesCommand::Set {
            name,
            fields: set,
            if_version,
        } => {
            let view = catalog
                .update(&job(&name)?, fields(&set)?, if_version, &by)
                .await
                .map_err(refusal)?;
            println!(
                "changed {} (version {})",
                view.source.name, view.source.version
            );
            Ok(())
        }
        SourcesCommand::Enable { name } => enabled(&catalog, &name, true, &by).await,
        SourcesCommand::Disable { name } => enabled(&catalog, &name, false, &by).await,
        SourcesCommand::Delete { name, if_version } => {
            let view = catalog
                .delete(&job(&name)?, if_version, &by)
                .await
                .map_err(refusal)?;
            println!("deleted {} (its history stays)", view.source.name);
            Ok(())
        }
    };
    db.close();
    result.map(|()| ExitCode::SUCCESS)
}

/// Enables or disables a source.
async fn enabled(catalog: &Catalog, name: &str, on: bool, by: &ChangeBy) -> anyhow::Result<()> {
    let mut patch = Map::new();
    patch.insert("enabled".into(), Value::Bool(on));
    let view = catalog
        .update(&job(name)?, patch, None, by)
        .await
        .map_err(refusal)?;
    println!(
        "{} {} (version {})",
        if on { "enabled" } else { "disabled" },
        view.source.name,
        view.source.version
    );
    Ok(())
}

fn job(name: &str) -> anyhow::Result<JobName> {
    JobName::parse(name).map_err(|e| usage(format!("{name:?}: {e}")))
}

fn refusal(r: SourceRefusal) -> anyhow::Error {
    anyhow::anyhow!("{r}")
}

/// `KEY=VALUE` pairs as the fields of a JSON body: `null` unsets, numbers and booleans are
/// read as such, `@FILE` reads the file (its last line break left out), the rest is text.
fn fields(pairs: &[String]) -> anyhow::Result<Map<String, Value>> {
    let mut body = Map::new();
    for pair in pairs {
        let Some((key, value)) = pair.split_once('=') else {
            return Err(usage(format!("{pair:?}: expected KEY=VALUE")));
        };
        let key = key.trim();
        if key.is_empty() {
            return Err(usage(format!("{pair:?}: the key is empty")));
        }
        let value = match value.strip_prefix('@') {
            Some(file) => {
                let text = std::fs::read_to_string(file)
                    .map_err(|e| usage(format!("{key}=@{file}: cannot read it: {e}")))?;
                Value::String(text.trim_end_matches(['\n', '\r']).to_owned())
            }
            None => match serde_json::from_str::<Value>(value) {
                Ok(v @ (Value::Null | Value::Bool(_) | Value::Number(_))) => v,
                _ => Value::String(value.to_owned()),
            },
        };
        body.insert(key.to_owned(), value);
    }
    Ok(body)
}

fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

fn print_table(views: &[SourceView]) {
    if views.is_empty() {
        println!("no sources");
        return;
    }
    let rows: Vec<[String; 6]> = views
        .iter()
        .map(|v| {
            let s = &v.source;
            [
                s.name.to_string(),
                match (&v.problem, s.enabled) {
                    (Some(_), _) => "yes (not running)".to_owned(),
                    (None, true) => "yes".to_owned(),
                    (None, false) => "no".to_owned(),
                },
                s.spec.format.clone().unwrap_or_else(|| "auto".to_owned()),
                s.spec
                    .schedule
                    .clone()
                    .unwrap_or_else(|| "(default)".to_owned()),
                s.version.to_string(),
                s.spec.url.clone(),
            ]
        })
        .collect();
    let header = ["NAME", "ENABLED", "FORMAT", "SCHEDULE", "VERSION", "URL"];
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[&str]| {
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<width$}  ", width = widths[i]));
            }
        }
        println!("{out}");
    };
    line(&header);
    for row in &rows {
        line(&row.iter().map(String::as_str).collect::<Vec<_>>());
    }
}

fn print_one(view: &SourceView) -> anyhow::Result<()> {
    let s = &view.source;
    println!(
        "{} (version {}, {})",
        s.name,
        s.version,
        if s.enabled { "enabled" } else { "disabled" }
    );
    if let Value::Object(fields) = serde_json::to_value(SourceFields::from(&s.spec))? {
        for (key, value) in fields {
            if key == "name" {
                continue;
            }
            let text = match value {
                Value::String(t) => t,
                other => other.to_string(),
            };
            println!("  {key}: {text}");
        }
    }
    let credentials: Vec<&str> = [
        ("token", view.has_token),
        ("clientSecret", view.has_client_secret),
    ]
    .iter()
    .filter(|(_, set)| *set)
    .map(|(name, _)| *name)
    .collect();
    if !credentials.is_empty() {
        println!("  credentials set: {}", credentials.join(", "));
    }
    if let Some(problem) = &view.problem {
        println!("  not running: {problem}");
    }
    println!(
        "  created {} by {}; changed {} by {}",
        propimport_domain::format_utc_millis(&s.created_at),
        s.created_by,
        propimport_domain::format_utc_millis(&s.updated_at),
        s.updated_by
    );
    Ok(())
}
