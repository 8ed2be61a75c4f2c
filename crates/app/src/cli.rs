//! The command line: `serve` (the default), `migrate`, `import`, `executions`, `jobs` and
//! `schedule next`.

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use propimport_scheduler::CronSchedule;

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
    },
    /// The execution history, and the cancel of a running execution.
    #[command(subcommand)]
    Executions(ExecutionsCommand),
    /// The configured jobs: list them, pause or resume their schedules.
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// Cron schedules.
    #[command(subcommand)]
    Schedule(ScheduleCommand),
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
        /// Print JSON (RFC 3339 times with offsets).
        #[arg(long)]
        json: bool,
    },
    /// Show one execution with its errors.
    Show {
        /// The execution's id.
        id: String,
        /// Print JSON (RFC 3339 times with offsets).
        #[arg(long)]
        json: bool,
    },
    /// Ask for a RUNNING execution (on any instance) to be cancelled: the instance running it
    /// stops it within one heartbeat and records it FAILED "cancelled by cli:<user>". Exit
    /// code 1 when it is unknown or not running.
    Cancel {
        /// The execution's id, or the start of a running execution's id that names one.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
enum JobsCommand {
    /// List the jobs: schedule, whether paused, next run.
    List {
        /// Print JSON (RFC 3339 times with offsets).
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
    Next(NextArgs),
}

#[derive(Debug, Args)]
struct NextArgs {
    /// The cron expression (5 or 6 fields, or a macro such as @daily).
    #[arg(env = "IMPORT_CRON_SCHEDULE", default_value = "0 0 * * *")]
    expression: String,
    /// The IANA time zone.
    #[arg(long, env = "TZ", default_value = "Europe/Skopje")]
    tz: String,
    /// How many fire times to print.
    #[arg(short = 'n', long, default_value_t = 10)]
    count: usize,
    /// Print JSON (RFC 3339 times with offsets).
    #[arg(long)]
    json: bool,
}

impl Cli {
    /// Whether the command needs the service configuration (the others take their own flags).
    pub fn needs_config(&self) -> bool {
        !matches!(self.command, Some(Command::Schedule(_)))
    }

    /// Runs the chosen command.
    pub async fn run(self, config: Option<Config>) -> anyhow::Result<ExitCode> {
        match (self.command.unwrap_or(Command::Serve), config) {
            (Command::Schedule(ScheduleCommand::Next(args)), _) => Ok(schedule_next(&args)),
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
                },
                Some(config),
            ) => crate::import_cmd::import(config, source, skip_images).await,
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
            (Command::Jobs(JobsCommand::List { json }), Some(config)) => {
                crate::jobs_cmd::list(config, json).await
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

fn schedule_next(args: &NextArgs) -> ExitCode {
    let schedule = match CronSchedule::parse(&args.expression, &args.tz) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let times = schedule.next_runs(chrono::Utc::now(), args.count);
    let zone = schedule.timezone();
    if args.json {
        let runs: Vec<_> = times
            .iter()
            .map(|t| serde_json::json!({"local": t.with_timezone(&zone).to_rfc3339(), "utc": t.to_rfc3339()}))
            .collect();
        let doc = serde_json::json!({"expression": schedule.expression(), "timezone": zone.name(), "nextRuns": runs});
        println!("{doc}");
    } else {
        println!("{schedule}");
        for t in times {
            println!(
                "  {}   {}",
                t.with_timezone(&zone).format("%a %Y-%m-%d %H:%M:%S %Z"),
                t.format("%Y-%m-%dT%H:%M:%SZ")
            );
        }
    }
    ExitCode::SUCCESS
}
