//! Usage errors: what was asked for is wrong (a flag's value, an unknown job or id). Every
//! command reports them the same way, and `main` turns them into exit code 2.

/// The exit code of a usage error: a bad flag or argument (clap's own code for them).
pub const EXIT_USAGE: u8 = 2;

/// An error in what was asked for (a flag's value, an unknown job or id): printed as one
/// `error: …` line, exit code [`EXIT_USAGE`].
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// A [`UsageError`] as an `anyhow::Error`.
pub fn usage(message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(UsageError(message.into()))
}
