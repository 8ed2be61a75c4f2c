//! The `propimport` binary: reads the configuration, opens the database, migrates it, and
//! runs the service until SIGTERM or SIGINT. It composes the library crates and holds no
//! logic of its own.

mod admin_token;
mod alerting;
mod banner;
mod catalog;
mod cli;
mod config;
mod control;
mod database;
mod demo_feeds;
mod execution_ids;
mod executions_cmd;
mod executions_table;
mod health_cmd;
mod import_cmd;
mod import_job;
mod import_progress;
mod jobs_cmd;
mod jobs_list;
mod jobs_table;
mod logging;
mod metrics;
mod remap_cmd;
mod schedule_cmd;
mod sealing;
mod serve;
mod sources_cmd;
mod usage;

use std::process::ExitCode;

use clap::Parser as _;

/// The exit code for a configuration error (`EX_CONFIG`).
const EXIT_CONFIG: u8 = 78;

fn main() -> ExitCode {
    // A missing .env file is normal; a malformed one is reported once logging is set up.
    let dotenv = dotenvy::dotenv().map(drop);
    let cli = cli::Cli::parse();
    let config = if cli.needs_config() {
        match config::Config::from_env() {
            Ok(config) => Some(config),
            Err(problems) => {
                for problem in problems {
                    eprintln!("error: {problem}");
                }
                return ExitCode::from(EXIT_CONFIG);
            }
        }
    } else {
        None
    };
    logging::init(
        config
            .as_ref()
            .map_or(config::LogFormat::Text, |c| c.log_format),
        cli.log_level(),
    );
    if let Err(e) = dotenv
        && !e.not_found()
    {
        tracing::warn!(error = %e, "could not read .env");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli.run(config)) {
        Ok(code) => code,
        Err(e) => {
            // One plain line, whatever the log format: the command's answer, not a log event.
            eprintln!("error: {e:#}");
            if e.downcast_ref::<usage::UsageError>().is_some() {
                ExitCode::from(usage::EXIT_USAGE)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
