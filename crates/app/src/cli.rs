//! The command line: `serve` (the default) and `migrate`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Config;

/// Keeps a real-estate site's listings in step with its partners' feeds.
///
/// Configuration comes from environment variables (and a `.env` file); see `.env.example`.
#[derive(Debug, Parser)]
#[command(name = "propimport", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Migrate the database, recover abandoned runs and run the service (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
}

impl Cli {
    /// Runs the chosen command.
    pub async fn run(self, config: Config) -> anyhow::Result<ExitCode> {
        match self.command.unwrap_or(Command::Serve) {
            Command::Serve => crate::serve::serve(config)
                .await
                .map(|()| ExitCode::SUCCESS),
            Command::Migrate => crate::serve::migrate(config)
                .await
                .map(|()| ExitCode::SUCCESS),
        }
    }
}
