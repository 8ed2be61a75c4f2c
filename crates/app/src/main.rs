//! The `propimport` binary: reads the configuration, opens the database, migrates it, and
//! runs the service until SIGTERM or SIGINT. It composes the library crates and holds no
//! logic of its own.

mod cli;
mod config;
mod serve;

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    // A missing .env file is normal; a malformed one is reported by the configuration step.
    let dotenv = dotenvy::dotenv().map(drop);
    let cli = cli::Cli::parse();
    let config = match config::Config::from_env() {
        Ok(config) => config,
        Err(problems) => {
            for problem in problems {
                eprintln!("error: {problem}");
            }
            return ExitCode::from(78);
        }
    };
    config::init_logging(&config);
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
            tracing::error!("{e:#}");
            ExitCode::FAILURE
        }
    }
}
