//! Why a cron expression or a time zone name was rejected, worded for the operator who set it.

use std::fmt;

/// One field of a cron expression, named in error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CronField {
    /// The optional leading seconds field (0-59).
    Second,
    /// The minute field (0-59).
    Minute,
    /// The hour field (0-23).
    Hour,
    /// The day-of-month field (1-31).
    DayOfMonth,
    /// The month field (1-12 or JAN-DEC).
    Month,
    /// The day-of-week field (0-7 or SUN-SAT; 0 and 7 are Sunday).
    DayOfWeek,
}

impl fmt::Display for CronField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Second => "second",
            Self::Minute => "minute",
            Self::Hour => "hour",
            Self::DayOfMonth => "day-of-month",
            Self::Month => "month",
            Self::DayOfWeek => "day-of-week",
        })
    }
}

/// What exactly is wrong with a cron expression or time zone name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScheduleErrorKind {
    /// The expression is empty or only white space.
    #[error("the expression is empty")]
    Empty,
    /// The expression has neither 5 nor 6 fields.
    #[error("expected 5 or 6 fields, found {found}")]
    FieldCount {
        /// How many white-space separated fields it has.
        found: usize,
    },
    /// An `@` macro that is not one of the supported ones.
    #[error(
        "unknown macro {name:?}; expected @yearly, @annually, @monthly, @weekly, @daily, \
         @midnight or @hourly"
    )]
    UnknownMacro {
        /// The macro as written.
        name: String,
    },
    /// A piece of a field that is neither a number, a name, `*`, a range, a step nor a list.
    #[error("{field}: {text:?} is not a valid value")]
    InvalidValue {
        /// The field it is in.
        field: CronField,
        /// The offending piece.
        text: String,
    },
    /// A number outside the field's range.
    #[error("{field}: {value} is out of range {min}-{max}")]
    OutOfRange {
        /// The field it is in.
        field: CronField,
        /// The number as given.
        value: u32,
        /// The field's smallest value.
        min: u32,
        /// The field's largest value.
        max: u32,
    },
    /// A range whose start is after its end, such as `5-2`.
    #[error("{field}: range {start}-{end} runs backwards")]
    BackwardsRange {
        /// The field it is in.
        field: CronField,
        /// The range's start.
        start: u32,
        /// The range's end.
        end: u32,
    },
    /// A step of zero or larger than the field's largest value.
    #[error("{field}: step {step} is out of range 1-{max}")]
    StepOutOfRange {
        /// The field it is in.
        field: CronField,
        /// The step as given.
        step: u32,
        /// The largest step allowed.
        max: u32,
    },
    /// A well-formed expression that matches no date at all, such as `0 0 30 2 *`.
    #[error("never fires: none of the selected months has any of the selected days of month")]
    NeverFires,
    /// A time zone name that is not in the IANA time zone database.
    #[error("unknown time zone")]
    UnknownTimeZone,
    /// The `cron` crate refused an expression this module had already accepted (not expected).
    #[error("the cron engine rejected the expression: {0}")]
    Engine(String),
}

/// The input a [`ScheduleError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Subject {
    Expression,
    TimeZone,
}

/// A rejected cron expression or time zone name, with the input and, once known, the
/// configuration variable it came from.
///
/// Displayed as `cron expression "0 0 * *": expected 5 or 6 fields, found 4`, or after
/// [`ScheduleError::with_variable`] as `IMPORT_CRON_SCHEDULE="0 0 * *": expected 5 or 6 fields,
/// found 4`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {kind}", self.subject_text())]
#[non_exhaustive]
pub struct ScheduleError {
    subject: Subject,
    input: String,
    variable: Option<String>,
    kind: ScheduleErrorKind,
}

impl ScheduleError {
    /// An error about the cron expression `input`.
    pub(crate) fn expression(input: &str, kind: ScheduleErrorKind) -> Self {
        Self {
            subject: Subject::Expression,
            input: input.to_owned(),
            variable: None,
            kind,
        }
    }

    /// An error about the time zone name `input`.
    pub(crate) fn time_zone(input: &str) -> Self {
        Self {
            subject: Subject::TimeZone,
            input: input.to_owned(),
            variable: None,
            kind: ScheduleErrorKind::UnknownTimeZone,
        }
    }

    /// Names the configuration variable the rejected input came from, for the message.
    #[must_use]
    pub fn with_variable(mut self, name: impl Into<String>) -> Self {
        self.variable = Some(name.into());
        self
    }

    /// Names the variable of the expression or of the time zone, whichever was rejected.
    #[must_use]
    pub fn with_variables(self, expression_variable: &str, time_zone_variable: &str) -> Self {
        let name = match self.subject {
            Subject::Expression => expression_variable,
            Subject::TimeZone => time_zone_variable,
        };
        self.with_variable(name)
    }

    /// What exactly is wrong.
    pub fn kind(&self) -> &ScheduleErrorKind {
        &self.kind
    }

    /// The rejected input, as given: the expression or the time zone name.
    pub fn input(&self) -> &str {
        &self.input
    }

    /// The configuration variable named by [`ScheduleError::with_variable`], if any.
    pub fn variable(&self) -> Option<&str> {
        self.variable.as_deref()
    }

    /// Whether the time zone name, rather than the expression, was rejected.
    pub fn is_time_zone(&self) -> bool {
        self.subject == Subject::TimeZone
    }

    fn subject_text(&self) -> String {
        match (&self.variable, self.subject) {
            (Some(name), _) => format!("{name}={:?}", self.input),
            (None, Subject::Expression) => format!("cron expression {:?}", self.input),
            (None, Subject::TimeZone) => format!("time zone {:?}", self.input),
        }
    }
}
