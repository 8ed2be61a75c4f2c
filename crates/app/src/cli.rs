//! The command line: `serve` (the default), `migrate`, `import`, `executions`, `jobs`,
//! `sources` and `schedule next`. Errors are one `error: …` line; usage errors exit 2.

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
    /// Migrate the database, start the scheduler and run until SIGINT/SIGTERM (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Run an import now (every source in turn, or one) and print a summary. Exit code 0:
    /// SUCCESS, 1: FAILED, 2: PARTIAL, 3: already running.
    Import {
        /// Only this source.
        #[arg(long)]
        source: Option<String>,
        /// Record image URLs but download no images (as IMPORT_TEST_SKIP_IMAGES=true).
        #[arg(long)]
        skip_images: bool,
        /// When stderr is not a terminal, how often a progress line is printed (on a
        /// terminal a bar is redrawn in place instead).
        #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = humantime::parse_duration)]
        progress_every: std::time::Duration,
    },
    /// Map stored listings again from the source records kept with them (after an upgrade
    /// that changes a mapping), without fetching any feed. Exit code 0: every record mapped,
    /// 2: some failed (their listings are kept as they were).
    Remap {
        /// Only this source (any source with stored listings; default: every configured one).
        #[arg(long)]
        source: Option<String>,
        /// Print JSON: one report per source.
        #[arg(long)]
        json: bool,
    },
    /// The execution history, and the cancel of a running execution.
    #[command(subcommand)]
    Executions(ExecutionsCommand),
    /// The configured jobs: list them, pause or resume their schedules.
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// The source catalog: list, show, add, change, enable, disable and delete sources (every
    /// running replica follows within a second; every change is audited).
    #[command(subcommand)]
    Sources(crate::sources_cmd::SourcesCommand),
    /// Cron schedules.
    #[command(subcommand)]
    Schedule(ScheduleCommand),
    /// Ask the service running on this machine whether it is ready (GET /readyz; /healthz with
    /// --live) and print one line. Exit code 0: healthy, 1: not (for container health checks).
    Health(crate::health_cmd::HealthArgs),
}

#[derive(Debug, Subcommand)]
enum ExecutionsCommand {
    /// List executions, newest first.
    List {
        /// Only this status: RUNNING, SUCCESS, FAILED or PARTIAL.
        #[arg(long)]
        status: Option<String>,
        /// Only this job (source).
        #[arg(long)]
        job: Option<String>,
        /// How many (1 to 100).
        #[arg(long, default_value_t = 20)]
        limit: i64,
        /// Print JSON: the API's history document (`data` of `GET …/history`; times in UTC, `…Z`).
        #[arg(long)]
        json: bool,
    },
    /// Show one execution with its errors.
    Show {
        /// The execution's id.
        id: String,
        /// Print JSON: the API's execution document (`data` of `GET …/{executionId}`; times
        /// in UTC, `…Z`).
        #[arg(long)]
        json: bool,
    },
    /// Ask for a RUNNING execution (on any instance) to be cancelled: the instance running it
    /// stops it within one heartbeat and records it FAILED "cancelled by cli:USER" (USER: the
    /// login name). Exit code 1 when it is unknown or not running.
    Cancel {
        /// The execution's id, or the start of a running execution's id that names one.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
enum JobsCommand {
    /// List the jobs: schedule, whether paused, last status, running, late or failing, next
    /// run; searched, filtered and paged as `/status` does, with the summary of every job.
    List {
        /// Only jobs whose name contains this (ignoring case).
        #[arg(long, value_name = "TEXT")]
        search: Option<String>,
        /// Only jobs whose last execution has this status: RUNNING, SUCCESS, FAILED or PARTIAL.
        #[arg(long)]
        status: Option<String>,
        /// Only jobs whose latest finished run failed (`--failing=false`: that did not).
        #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
        failing: Option<bool>,
        /// Only late jobs: their late alert is on (`--late=false`: not late).
        #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
        late: Option<bool>,
        /// Only paused jobs (`--paused=false`: not paused).
        #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
        paused: Option<bool>,
        /// Only jobs with a run in progress on any instance (`--running=false`: without).
        #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
        running: Option<bool>,
        /// Jobs per page (1 to 500).
        #[arg(long, default_value_t = 100)]
        limit: i64,
        /// Matching jobs to skip.
        #[arg(long, default_value_t = 0)]
        offset: u64,
        /// Print JSON: the page of jobs (each job's pause state as the API writes it, its
        /// schedule, next fire time, last status, failing, late, running), `pagination` and
        /// `summary` as `/status` writes them.
        #[arg(long)]
        json: bool,
    },
    /// Pause a job: every instance skips its scheduled runs until it is resumed (it can still
    /// be triggered by hand). Exit code 1 for an unknown job.
    Pause {
        /// The job's (source's) name.
        name: String,
        /// Why (shown with the job and in the audit log).
        #[arg(long)]
        reason: Option<String>,
    },
    /// Resume a paused job: its next scheduled run starts again. Exit code 1 for an unknown
    /// job.
    Resume {
        /// The job's (source's) name.
        name: String,
    },
}

#[derive(Debug, Subcommand)]
enum ScheduleCommand {
    /// Validate a cron expression and print its next fire times (local and UTC).
    Next(crate::schedule_cmd::NextArgs),
}

impl Cli {
    /// Whether the command needs the service configuration (the others take their own flags).
    pub fn needs_config(&self) -> bool {
        !matches!(
            self.command,
            Some(Command::Schedule(_) | Command::Health(_))
        )
    }

    /// How much the command logs: the read-only commands only warnings.
    pub fn log_level(&self) -> crate::logging::Verbosity {
        match self.command {
            Some(
                Command::Executions(_)
                | Command::Jobs(_)
                | Command::Schedule(_)
                | Command::Health(_),
            ) => crate::logging::Verbosity::Quiet,
            Some(Command::Import { .. } | Command::Remap { .. }) => {
                crate::logging::Verbosity::Import
            }
            _ => crate::logging::Verbosity::Service,
        }
    }

    /// Runs the chosen command.
    pub async fn run(self, config: Option<Config>) -> anyhow::Result<ExitCode> {
        let command = self.command.unwrap_or(Command::Serve);
        let config = match config {
            // These commands work with the catalog's sources, as the service does.
            Some(mut config)
                if matches!(
                    command,
                    Command::Import { .. }
                        | Command::Remap { .. }
                        | Command::Jobs(_)
                        | Command::Executions(_)
                ) =>
            {
                crate::catalog::load(&mut config).await?;
                Some(config)
            }
            other => other,
        };
        match (command, config) {
            (Command::Sources(command), Some(config)) => {
                crate::sources_cmd::run(config, command).await
            }
            (Command::Health(args), _) => Ok(crate::health_cmd::health(&args).await),
            (Command::Schedule(ScheduleCommand::Next(args)), _) => crate::schedule_cmd::next(&args),
            (Command::Serve, Some(config)) => crate::serve::serve(config)
                .await
                .map(|()| ExitCode::SUCCESS),
            (Command::Migrate, Some(config)) => crate::serve::migrate(config)
                .await
                .map(|()| ExitCode::SUCCESS),
            (
                Command::Import {
                    source,
                    skip_images,
                    progress_every,
                },
                Some(config),
            ) => crate::import_cmd::import(config, source, skip_images, progress_every).await,
            (Command::Remap { source, json }, Some(config)) => {
                crate::remap_cmd::remap(config, source, json).await
            }
            (
                Command::Executions(ExecutionsCommand::List {
                    status,
                    job,
                    limit,
                    json,
                }),
                Some(config),
            ) => {
                crate::executions_cmd::list(
                    config,
                    crate::executions_cmd::ListArgs {
                        status,
                        job,
                        limit,
                        json,
                    },
                )
                .await
            }
            (Command::Executions(ExecutionsCommand::Show { id, json }), Some(config)) => {
                crate::executions_cmd::show(config, &id, json).await
            }
            (Command::Executions(ExecutionsCommand::Cancel { id }), Some(config)) => {
                crate::executions_cmd::cancel(config, &id).await
            }
            (
                Command::Jobs(JobsCommand::List {
                    search,
                    status,
                    failing,
                    late,
                    paused,
                    running,
                    limit,
                    offset,
                    json,
                }),
                Some(config),
            ) => {
                let args = crate::jobs_list::ListArgs {
                    search,
                    status,
                    failing,
                    late,
                    paused,
                    running,
                    limit,
                    offset,
                    json,
                };
                crate::jobs_list::list(config, args).await
            }
            (Command::Jobs(JobsCommand::Pause { name, reason }), Some(config)) => {
                crate::jobs_cmd::pause(config, &name, reason.as_deref()).await
            }
            (Command::Jobs(JobsCommand::Resume { name }), Some(config)) => {
                crate::jobs_cmd::resume(config, &name).await
            }
            (_, None) => anyhow::bail!("this command needs the configuration"),
        }
    }
}
