//! A benchmark's settings as its arguments and environment give them: `--name=value` (the
//! last one given wins), else the variable if it is not blank; `--name` or the variable set to
//! `1` for a switch.

use anyhow::Context as _;

/// The arguments a benchmark was started with, read as settings.
pub struct Settings<'a> {
    args: &'a [String],
}

impl<'a> Settings<'a> {
    /// Settings read from `args` (and the environment).
    pub fn new(args: &'a [String]) -> Self {
        Self { args }
    }

    /// `--flag=value`, else the variable `var` when it is not blank.
    pub fn value(&self, flag: &str, var: &str) -> Option<String> {
        let prefix = format!("--{flag}=");
        self.args
            .iter()
            .rev()
            .find_map(|a| a.strip_prefix(&prefix).map(str::to_owned))
            .or_else(|| std::env::var(var).ok().filter(|v| !v.trim().is_empty()))
    }

    /// A count ([`super::shared::parse_count`]'s forms) from [`Settings::value`], else
    /// `default`; an error names the flag and the variable.
    pub fn count(&self, flag: &str, var: &str, default: u64) -> anyhow::Result<u64> {
        match self.value(flag, var) {
            Some(v) => super::shared::parse_count(&v).with_context(|| format!("--{flag} / {var}")),
            None => Ok(default),
        }
    }

    /// Whether `--name` was given or the variable `var` is `1`.
    pub fn flag(&self, name: &str, var: &str) -> bool {
        let switch = format!("--{name}");
        self.args.iter().any(|a| a == &switch) || std::env::var(var).is_ok_and(|v| v == "1")
    }
}
