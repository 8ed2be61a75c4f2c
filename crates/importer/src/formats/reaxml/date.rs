//! REAXML times: `modTime` on listings and images, written `2009-01-01-12:30:00` in the
//! specification, and in the wild also with `T` or a space for the third `-`, without
//! seconds, as a bare date, compact (`20090101-123000`, `20090101T123000`), or in RFC 3339.
//! A time without a zone is the agent's local time; it is kept as if it were UTC (the
//! specification names no zone, and the value serves to order changes of one listing).

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// The time `text` stands for, `None` when it is none of the accepted forms.
pub(super) fn parse(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Some(at) = plain(text) {
        return Some(at);
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    // The third `-` (or a space) between date and time becomes `T`.
    let mut normal = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        normal.push(if i == 10 && matches!(c, '-' | ' ' | 't') {
            'T'
        } else {
            c
        });
    }
    const FORMATS: &[&str] = &[
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y%m%d-%H%M%S",
        "%Y%m%dT%H%M%S",
        "%Y%m%d-%H%M",
        "%Y%m%dT%H%M",
    ];
    FORMATS
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(&normal, f).ok())
        .or_else(|| {
            ["%Y-%m-%d", "%Y%m%d"]
                .iter()
                .find_map(|f| NaiveDate::parse_from_str(text, f).ok())
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
        .map(|at| at.and_utc())
}

/// `YYYY-MM-DD-hh:mm:ss` (or with `T` or a space), as most feeds write it, read without a
/// format string; `None` for anything else (which [`parse`] then reads the slow way).
fn plain(text: &str) -> Option<DateTime<Utc>> {
    let b = text.as_bytes();
    if b.len() != 19 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if !matches!(b[10], b'-' | b'T' | b' ') {
        return None;
    }
    let digits = |from: usize, to: usize| -> Option<u32> {
        b[from..to].iter().try_fold(0u32, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let year = i32::try_from(digits(0, 4)?).ok()?;
    let day = NaiveDate::from_ymd_opt(year, digits(5, 7)?, digits(8, 10)?)?;
    let at = day.and_hms_opt(digits(11, 13)?, digits(14, 16)?, digits(17, 19)?)?;
    Some(at.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_forms_feeds_use() {
        let at = |t: &str| parse(t).map(|d| d.to_rfc3339());
        let noon = Some("2009-01-01T12:30:00+00:00".to_owned());
        assert_eq!(at("2009-01-01-12:30:00"), noon);
        assert_eq!(at("2009-01-01T12:30:00"), noon);
        assert_eq!(at("2009-01-01 12:30:00"), noon);
        assert_eq!(at("2009-01-01-12:30"), noon);
        assert_eq!(at("20090101-123000"), noon);
        assert_eq!(at("20090101T123000"), noon);
        assert_eq!(at("2009-01-01T22:30:00+10:00"), noon);
        assert_eq!(
            at("2009-01-01"),
            Some("2009-01-01T00:00:00+00:00".to_owned())
        );
        for bad in [
            "",
            "yesterday",
            "2009-13-01-12:30:00",
            "2009-01-01-25:00:00",
            "2009-01-01é",
        ] {
            assert_eq!(at(bad), None, "{bad}");
        }
    }
}
