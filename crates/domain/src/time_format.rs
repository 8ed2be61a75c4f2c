//! The wire format of timestamps: RFC 3339 in UTC with milliseconds (`2025-12-24T00:04:32.123Z`),
//! as the earlier service's clients expect.

use chrono::{DateTime, SecondsFormat, Utc};

/// Formats a UTC time as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn format_utc_millis(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Serde helpers for a required timestamp in the wire format.
pub mod serde_millis {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serializes as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_utc_millis(t))
    }

    /// Deserializes any RFC 3339 time.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        DateTime::<Utc>::deserialize(d)
    }
}

/// Serde helpers for an optional timestamp in the wire format.
pub mod serde_millis_opt {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serializes as `YYYY-MM-DDTHH:MM:SS.mmmZ` or `null`.
    pub fn serialize<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&super::format_utc_millis(t)),
            None => s.serialize_none(),
        }
    }

    /// Deserializes any RFC 3339 time or `null`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        Option::<DateTime<Utc>>::deserialize(d)
    }
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
