//! Windows of `started_at`: the periods a row of totals sums up ([`Grain`]) and the split of a
//! window into whole periods, read from the totals, and partial days, read from the executions
//! ([`Split`]).

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, NaiveTime, Utc};

/// The length of the periods a row of totals sums up: UTC days, months and years.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(in crate::executions) enum Grain {
    Day,
    Month,
    Year,
}

impl Grain {
    /// Every grain, finest first.
    pub(in crate::executions) const ALL: [Self; 3] = [Self::Day, Self::Month, Self::Year];

    /// The `period` column of its rows.
    pub(in crate::executions) fn period(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Month => "month",
            Self::Year => "year",
        }
    }

    fn coarser(self) -> Option<Self> {
        match self {
            Self::Day => Some(Self::Month),
            Self::Month => Some(Self::Year),
            Self::Year => None,
        }
    }

    /// The start of the period holding `t`.
    pub(in crate::executions) fn floor(self, t: DateTime<Utc>) -> DateTime<Utc> {
        let date = match self {
            Self::Day => Some(t.date_naive()),
            Self::Month => NaiveDate::from_ymd_opt(t.year(), t.month(), 1),
            Self::Year => NaiveDate::from_ymd_opt(t.year(), 1, 1),
        };
        date.map_or(t, |d| d.and_time(NaiveTime::MIN).and_utc())
    }

    /// The first start of a period at or after `t`.
    fn ceil(self, t: DateTime<Utc>) -> DateTime<Utc> {
        let floor = self.floor(t);
        if floor == t {
            return t;
        }
        let next = match self {
            Self::Day => floor.checked_add_days(Days::new(1)),
            Self::Month => floor.checked_add_months(Months::new(1)),
            Self::Year => floor.checked_add_months(Months::new(12)),
        };
        next.unwrap_or(DateTime::<Utc>::MAX_UTC)
    }
}

/// A span of `started_at` (or of `period_start`): from `from` (inclusive) to `to`, exclusive
/// unless `to_inclusive`; `None` is unbounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::executions) struct Span {
    pub(in crate::executions) from: Option<DateTime<Utc>>,
    pub(in crate::executions) to: Option<DateTime<Utc>>,
    pub(in crate::executions) to_inclusive: bool,
}

impl Span {
    /// `[from, to)`.
    pub(in crate::executions) fn half_open(
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Self {
        Self {
            from,
            to,
            to_inclusive: false,
        }
    }
}

/// A window of `started_at` split into the parts read from the totals and the parts read from
/// the executions; the parts are disjoint and together cover the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(in crate::executions) struct Split {
    /// Whole periods: the rows of a grain whose `period_start` lies in the span; each grain
    /// as coarse as the window allows.
    pub(in crate::executions) totals: Vec<(Grain, Span)>,
    /// Partial days, read from the executions (every status); each lies within one UTC day.
    pub(in crate::executions) partial: Vec<Span>,
    /// The span of the whole periods, whose RUNNING runs (absent from the totals) are read
    /// from the executions.
    pub(in crate::executions) whole: Option<Span>,
}

impl Split {
    /// Splits `[from, to)` (`[from, to]` when `to_inclusive`) into whole periods no coarser
    /// than `coarsest` and partial days.
    pub(in crate::executions) fn of(
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        to_inclusive: bool,
        coarsest: Grain,
    ) -> Self {
        let a = from.map(|t| Grain::Day.ceil(t));
        let b = to.map(|t| Grain::Day.floor(t));
        if let (Some(a), Some(b)) = (a, b)
            && a >= b
        {
            // No whole day: `from` and `to` lie in one day, or on either side of midnight `a`
            // (then `a == b`), where the window is cut so that each part lies in one day.
            let partial = match (from, to) {
                (Some(from), Some(to)) if a == b && from < a => {
                    let mut parts = vec![Span::half_open(Some(from), Some(a))];
                    if a < to || to_inclusive {
                        parts.push(Span {
                            from: Some(a),
                            to: Some(to),
                            to_inclusive,
                        });
                    }
                    parts
                }
                _ => vec![Span {
                    from,
                    to,
                    to_inclusive,
                }],
            };
            return Self {
                totals: Vec::new(),
                partial,
                whole: None,
            };
        }
        let mut partial = Vec::new();
        if let (Some(from), Some(a)) = (from, a)
            && from < a
        {
            partial.push(Span::half_open(Some(from), Some(a)));
        }
        if let (Some(b), Some(to)) = (b, to)
            && (b < to || to_inclusive)
        {
            partial.push(Span {
                from: Some(b),
                to: Some(to),
                to_inclusive,
            });
        }
        let mut totals = Vec::new();
        nest(a, b, Grain::Day, coarsest, &mut totals);
        Self {
            totals,
            partial,
            whole: Some(Span::half_open(a, b)),
        }
    }
}

/// Splits `[lo, hi)`, aligned on `grain`, into spans of `grain` at its ends and the coarser
/// periods it holds, recursively up to `coarsest`.
fn nest(
    lo: Option<DateTime<Utc>>,
    hi: Option<DateTime<Utc>>,
    grain: Grain,
    coarsest: Grain,
    out: &mut Vec<(Grain, Span)>,
) {
    let Some(coarser) = grain.coarser().filter(|_| grain < coarsest) else {
        out.push((grain, Span::half_open(lo, hi)));
        return;
    };
    let (clo, chi) = (lo.map(|t| coarser.ceil(t)), hi.map(|t| coarser.floor(t)));
    if let (Some(clo), Some(chi)) = (clo, chi)
        && clo >= chi
    {
        out.push((grain, Span::half_open(lo, hi)));
        return;
    }
    if let (Some(lo), Some(clo)) = (lo, clo)
        && lo < clo
    {
        out.push((grain, Span::half_open(Some(lo), Some(clo))));
    }
    if let (Some(chi), Some(hi)) = (chi, hi)
        && chi < hi
    {
        out.push((grain, Span::half_open(Some(chi), Some(hi))));
    }
    nest(clo, chi, coarser, coarsest, out);
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
    }

    fn span(from: DateTime<Utc>, to: DateTime<Utc>) -> Span {
        Span::half_open(Some(from), Some(to))
    }

    #[test]
    fn years_months_days_and_partial_days() {
        let s = Split::of(
            Some(at(2024, 11, 15, 12)),
            Some(at(2026, 2, 2, 18)),
            false,
            Grain::Year,
        );
        assert_eq!(
            s.partial,
            vec![
                span(at(2024, 11, 15, 12), at(2024, 11, 16, 0)),
                span(at(2026, 2, 2, 0), at(2026, 2, 2, 18)),
            ]
        );
        assert_eq!(
            s.totals,
            vec![
                (Grain::Day, span(at(2024, 11, 16, 0), at(2024, 12, 1, 0))),
                (Grain::Day, span(at(2026, 2, 1, 0), at(2026, 2, 2, 0))),
                (Grain::Month, span(at(2024, 12, 1, 0), at(2025, 1, 1, 0))),
                (Grain::Month, span(at(2026, 1, 1, 0), at(2026, 2, 1, 0))),
                (Grain::Year, span(at(2025, 1, 1, 0), at(2026, 1, 1, 0))),
            ]
        );
        assert_eq!(s.whole, Some(span(at(2024, 11, 16, 0), at(2026, 2, 2, 0))));
    }

    #[test]
    fn unbounded_is_every_year() {
        let s = Split::of(None, None, false, Grain::Year);
        assert_eq!(s.totals, vec![(Grain::Year, Span::half_open(None, None))]);
        assert!(s.partial.is_empty());
        let s = Split::of(Some(at(2025, 3, 1, 0)), None, false, Grain::Year);
        assert_eq!(
            s.totals,
            vec![
                (Grain::Month, span(at(2025, 3, 1, 0), at(2026, 1, 1, 0))),
                (Grain::Year, Span::half_open(Some(at(2026, 1, 1, 0)), None)),
            ]
        );
    }

    #[test]
    fn within_a_day_is_all_partial() {
        let (from, to) = (at(2025, 2, 10, 8), at(2025, 2, 10, 20));
        let s = Split::of(Some(from), Some(to), false, Grain::Year);
        assert_eq!(s.partial, vec![span(from, to)]);
        assert!(s.totals.is_empty());
        assert_eq!(s.whole, None);
        let s = Split::of(Some(from), Some(from), false, Grain::Year);
        assert_eq!(s.partial, vec![span(from, from)]);
    }

    #[test]
    fn a_window_across_one_midnight_is_cut_there() {
        let (from, to) = (at(2025, 2, 10, 8), at(2025, 2, 11, 8));
        let s = Split::of(Some(from), Some(to), true, Grain::Day);
        assert!(s.totals.is_empty());
        assert_eq!(
            s.partial,
            vec![
                span(from, at(2025, 2, 11, 0)),
                Span {
                    from: Some(at(2025, 2, 11, 0)),
                    to: Some(to),
                    to_inclusive: true
                },
            ]
        );
        let s = Split::of(Some(from), Some(at(2025, 2, 11, 0)), false, Grain::Year);
        assert_eq!(s.partial, vec![span(from, at(2025, 2, 11, 0))]);
    }

    #[test]
    fn days_only_without_a_whole_month() {
        let s = Split::of(
            Some(at(2025, 1, 20, 0)),
            Some(at(2025, 2, 20, 0)),
            false,
            Grain::Year,
        );
        assert!(s.partial.is_empty());
        assert_eq!(
            s.totals,
            vec![(Grain::Day, span(at(2025, 1, 20, 0), at(2025, 2, 20, 0)))]
        );
    }

    #[test]
    fn an_inclusive_end_at_midnight_is_read_from_the_executions() {
        let now = at(2025, 3, 1, 0);
        let s = Split::of(Some(at(2025, 2, 1, 0)), Some(now), true, Grain::Day);
        assert_eq!(
            s.partial,
            vec![Span {
                from: Some(now),
                to: Some(now),
                to_inclusive: true
            }]
        );
        assert_eq!(s.totals, vec![(Grain::Day, span(at(2025, 2, 1, 0), now))]);
    }
}
