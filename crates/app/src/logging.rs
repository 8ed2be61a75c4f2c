//! The log subscriber: lines on stderr (above the progress bar of `propimport import` while
//! one is drawn), text or JSON (`LOG_FORMAT`), coloured only on a terminal and never with
//! `NO_COLOR` set; by default this project's crates log at INFO and
//! libraries (actix, hyper, reqwest, rustls, diesel, …) at WARN, and the read-only commands
//! only warnings. `RUST_LOG` overrides the levels.

use std::io::IsTerminal as _;

use crate::config::LogFormat;

/// How much a command logs by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    /// The service and the commands that change things: INFO from this project's crates.
    Service,
    /// Commands that answer a question (`executions`, `jobs`, `schedule next`): warnings
    /// only, so their output is their answer.
    Quiet,
    /// `propimport import`: as the service, without the "run finished" lines (the command
    /// prints its own summary of the run, reason included, once).
    Import,
}

/// This project's crates, which log at INFO by default.
const OWN_CRATES: [&str; 6] = [
    "propimport",
    "propimport_domain",
    "propimport_persistence",
    "propimport_importer",
    "propimport_scheduler",
    "propimport_http_api",
];

/// Installs the subscriber: levels from `RUST_LOG` (default [`default_filter`]), format from
/// the configuration, colour from [`use_colour`].
pub fn init(format: LogFormat, verbosity: Verbosity) {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .map(|v| with_command_directives(v, verbosity))
        .and_then(|v| tracing_subscriber::EnvFilter::try_new(v).ok())
        .unwrap_or_else(|| tracing_subscriber::EnvFilter::new(default_filter(verbosity)));
    let colour = use_colour(
        std::io::stderr().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    );
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(crate::import_progress::LogWriter);
    match format {
        LogFormat::Text => builder.with_ansi(colour).init(),
        LogFormat::Json => builder.with_ansi(false).json().init(),
    }
}

/// The filter without `RUST_LOG`: this project's crates at INFO and the rest at WARN for the
/// service (and `import`, less its "run finished" lines), WARN throughout for the quiet
/// commands.
pub fn default_filter(verbosity: Verbosity) -> String {
    match verbosity {
        Verbosity::Quiet => "warn".to_owned(),
        Verbosity::Service => std::iter::once("warn".to_owned())
            .chain(OWN_CRATES.iter().map(|c| format!("{c}=info")))
            .collect::<Vec<_>>()
            .join(","),
        Verbosity::Import => format!(
            "{},{}=off",
            default_filter(Verbosity::Service),
            propimport_scheduler::RUN_LOG_TARGET
        ),
    }
}

/// `RUST_LOG` as given, plus what the command leaves out whatever the levels: `import` never
/// logs its "run finished" lines (its summary says the same) unless `RUST_LOG` names their
/// target.
pub fn with_command_directives(rust_log: String, verbosity: Verbosity) -> String {
    let target = propimport_scheduler::RUN_LOG_TARGET;
    if verbosity == Verbosity::Import && !rust_log.contains(target) {
        format!("{rust_log},{target}=off")
    } else {
        rust_log
    }
}

/// Whether log lines are coloured: only on a terminal, and never when `NO_COLOR` is set to
/// anything but the empty string (<https://no-color.org>).
pub fn use_colour(is_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    is_terminal && no_color.is_none_or(std::ffi::OsStr::is_empty)
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;

    use super::*;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(use_colour(true, None));
        assert!(use_colour(true, Some(OsStr::new(""))));
        assert!(!use_colour(true, Some(OsStr::new("1"))));
        assert!(!use_colour(false, None));
    }

    #[test]
    fn import_leaves_out_its_run_finished_lines() {
        let target = propimport_scheduler::RUN_LOG_TARGET;
        let import = default_filter(Verbosity::Import);
        assert!(import.ends_with(&format!(",{target}=off")), "{import}");
        assert_eq!(
            with_command_directives("info".into(), Verbosity::Import),
            format!("info,{target}=off")
        );
        let asked = format!("info,{target}=info");
        assert_eq!(
            with_command_directives(asked.clone(), Verbosity::Import),
            asked
        );
        assert_eq!(
            with_command_directives("debug".into(), Verbosity::Service),
            "debug"
        );
        for filter in [import, asked] {
            assert!(
                tracing_subscriber::EnvFilter::try_new(&filter).is_ok(),
                "{filter}"
            );
        }
    }

    #[test]
    fn libraries_are_quiet_by_default() {
        let service = default_filter(Verbosity::Service);
        assert!(service.starts_with("warn,"), "{service}");
        assert!(service.contains("propimport_scheduler=info"), "{service}");
        assert!(
            tracing_subscriber::EnvFilter::try_new(&service).is_ok(),
            "{service}"
        );
        assert_eq!(default_filter(Verbosity::Quiet), "warn");
    }
}
