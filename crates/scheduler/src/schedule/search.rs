//! Turning matching wall-clock times into instants with a time zone's rules, DST included.
//!
//! A matching wall-clock time `w` fires at:
//! - its instant, when the zone has exactly one;
//! - in a fold (the clock went back and `w` happens twice): the earlier instant, and also
//!   the later one unless the job is fixed-time;
//! - in a gap (the clock jumped forward over `w`): for a fixed-time job, the first instant
//!   after the gap (several such `w` of one gap give that instant once); otherwise nothing.
//!
//! The fire times are that set of instants; [`Search::next_after`] and
//! [`Search::prev_at_or_before`] search it. Walking wall-clock times in order meets those instants in order except around a
//! fold, where the later half of the fold comes after the earlier half: a search that
//! starts inside the fold also looks at the fold's other half.

use chrono::{DateTime, LocalResult, NaiveDateTime, Offset, TimeDelta, TimeZone, Utc};
use chrono_tz::{GapInfo, Tz};

use super::matcher::WallMatcher;

/// The matcher, the zone and the job kind: everything a search needs.
pub(crate) struct Search<'a> {
    pub(crate) matcher: &'a WallMatcher,
    pub(crate) tz: Tz,
    pub(crate) fixed_time: bool,
}

const SECOND: TimeDelta = TimeDelta::seconds(1);

impl Search<'_> {
    /// The first fire time strictly after `after`.
    pub(crate) fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let a = floor(after);
        let wall = self.wall(a);
        let mut found = self.walk_forward(wall.checked_add_signed(SECOND)?, a);
        // From the earlier half of a fold, the later half's instants are still ahead.
        if let (LocalResult::Ambiguous(early, late), false) = (self.resolve(wall), self.fixed_time)
            && early == a
        {
            let (start, end) = fold_walls(self.tz, early, late);
            let in_fold = self.matcher.next_at_or_after(start).filter(|w| *w < end);
            if let Some(LocalResult::Ambiguous(_, l)) = in_fold.map(|w| self.resolve(w)) {
                found = Some(found.map_or(l, |f| f.min(l)));
            }
        }
        found
    }

    /// The last fire time at or before `t`.
    pub(crate) fn prev_at_or_before(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let b = floor(t);
        let wall = self.wall(b);
        let mut found = self.walk_backward(wall, b);
        // From the later half of a fold, the earlier half's instants are all behind.
        if let LocalResult::Ambiguous(early, late) = self.resolve(wall)
            && late == b
        {
            let (start, end) = fold_walls(self.tz, early, late);
            let in_fold = end
                .checked_sub_signed(SECOND)
                .and_then(|last| self.matcher.prev_at_or_before(last))
                .filter(|w| *w >= start);
            if let Some(LocalResult::Ambiguous(e, _)) = in_fold.map(|w| self.resolve(w)) {
                found = Some(found.map_or(e, |f| f.max(e)));
            }
        }
        found
    }

    /// The first instant after `a` that a matching wall time from `from` on fires at.
    fn walk_forward(&self, mut from: NaiveDateTime, a: DateTime<Utc>) -> Option<DateTime<Utc>> {
        loop {
            let wall = self.matcher.next_at_or_after(from)?;
            let resolved = self.resolve(wall);
            if let Some(t) = self
                .instants(wall, &resolved)
                .into_iter()
                .flatten()
                .find(|t| *t > a)
            {
                return Some(t);
            }
            let next = wall.checked_add_signed(SECOND)?;
            from = match resolved {
                // Skip the rest of the gap: its wall times give no other instant.
                LocalResult::None => gap_info(wall, self.tz)
                    .and_then(|g| g.end)
                    .map_or(next, |end| end.naive_local().max(next)),
                _ => next,
            };
        }
    }

    /// The last instant at or before `b` that a matching wall time up to `to` fires at.
    fn walk_backward(&self, mut to: NaiveDateTime, b: DateTime<Utc>) -> Option<DateTime<Utc>> {
        loop {
            let wall = self.matcher.prev_at_or_before(to)?;
            let resolved = self.resolve(wall);
            let instants = self.instants(wall, &resolved);
            if let Some(t) = instants.into_iter().flatten().rev().find(|t| *t <= b) {
                return Some(t);
            }
            to = match resolved {
                LocalResult::None => gap_info(wall, self.tz)
                    .and_then(|g| g.begin)
                    .map_or(wall, |(begin, _)| begin.min(wall)),
                _ => wall,
            }
            .checked_sub_signed(SECOND)?;
        }
    }

    /// The instants a matching wall time fires at, in increasing order.
    fn instants(
        &self,
        wall: NaiveDateTime,
        resolved: &LocalResult<DateTime<Utc>>,
    ) -> [Option<DateTime<Utc>>; 2] {
        match *resolved {
            LocalResult::Single(t) => [Some(t), None],
            LocalResult::Ambiguous(early, late) => {
                [Some(early), (!self.fixed_time).then_some(late)]
            }
            LocalResult::None if self.fixed_time => {
                let end = gap_info(wall, self.tz).and_then(|g| g.end);
                [end.map(|e| e.with_timezone(&Utc)), None]
            }
            LocalResult::None => [None, None],
        }
    }

    /// The wall-clock time of `t` in the zone.
    fn wall(&self, t: DateTime<Utc>) -> NaiveDateTime {
        t.with_timezone(&self.tz).naive_local()
    }

    /// The instants of a wall-clock time in the zone.
    fn resolve(&self, wall: NaiveDateTime) -> LocalResult<DateTime<Utc>> {
        self.tz
            .from_local_datetime(&wall)
            .map(|t| t.with_timezone(&Utc))
    }
}

/// The gap around a wall-clock time, if it is in one.
fn gap_info(wall: NaiveDateTime, tz: Tz) -> Option<GapInfo> {
    GapInfo::new(&wall, &tz)
}

/// The repeated wall-clock range `[start, end)` of the fold whose halves hold `early` and
/// `late`, the two instants of one wall time. The clock goes back at the first instant
/// after `early` with the later offset, found by halving.
fn fold_walls(tz: Tz, early: DateTime<Utc>, late: DateTime<Utc>) -> (NaiveDateTime, NaiveDateTime) {
    let early_offset = offset_of(early, tz);
    let (mut lo, mut hi) = (early, late);
    // Both are whole seconds, and so is every halfway point taken.
    while (hi - lo).num_seconds() > 1 {
        let mid = lo + TimeDelta::seconds((hi - lo).num_seconds() / 2);
        if offset_of(mid, tz) == early_offset {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let change = hi.naive_utc();
    (change + offset_of(late, tz), change + early_offset)
}

/// The zone's offset from UTC at `t`.
fn offset_of(t: DateTime<Utc>, tz: Tz) -> TimeDelta {
    let seconds = tz
        .offset_from_utc_datetime(&t.naive_utc())
        .fix()
        .local_minus_utc();
    TimeDelta::seconds(i64::from(seconds))
}

/// Drops the fraction of a second (fire times are whole seconds).
fn floor(t: DateTime<Utc>) -> DateTime<Utc> {
    let nanos = i64::from(t.timestamp_subsec_nanos());
    t - TimeDelta::nanoseconds(nanos)
}
