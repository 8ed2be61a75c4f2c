//! The time format of the API and of messages: RFC 3339 in UTC with milliseconds
//! (`2025-12-24T00:04:32.123Z`), as the earlier service's clients expect.

use chrono::{DateTime, SecondsFormat, Utc};

/// Formats a UTC time as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn format_utc_millis(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn formats_with_millis_and_z() {
        let t = Utc
            .with_ymd_and_hms(2025, 12, 24, 0, 4, 32)
            .single()
            .unwrap_or_default()
            + chrono::Duration::milliseconds(123);
        assert_eq!(format_utc_millis(&t), "2025-12-24T00:04:32.123Z");
    }
}
