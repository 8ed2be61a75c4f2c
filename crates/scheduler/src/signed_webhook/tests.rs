//! The signature scheme: a known vector, and what a receiver refuses.

use chrono::TimeZone;

use super::*;

const BODY: &[u8] = br#"{"a":1}"#;

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(seconds, 0).single().unwrap()
}

#[test]
fn signs_the_timestamp_a_dot_and_the_raw_body() {
    // printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac secret
    assert_eq!(
        sign(b"secret", 1_700_000_000, BODY),
        "sha256=49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686"
    );
}

#[test]
fn a_receiver_accepts_a_fresh_signed_body_only() {
    let signature = sign(b"secret", 1_700_000_000, BODY);
    let check = |ts: &str, sig: &str, body: &[u8], now: i64| {
        verify(b"secret", Some(ts), Some(sig), body, at(now))
    };
    assert_eq!(check("1700000000", &signature, BODY, 1_700_000_100), Ok(()));
    assert_eq!(
        check("1700000000", &signature, br#"{"a":2}"#, 1_700_000_000),
        Err(SignatureError::Mismatch),
        "an altered body"
    );
    assert_eq!(
        check("1700000001", &signature, BODY, 1_700_000_000),
        Err(SignatureError::Mismatch),
        "the timestamp is signed too"
    );
    assert_eq!(
        check("1700000000", &signature, BODY, 1_700_000_301),
        Err(SignatureError::Stale(301)),
        "a replay after five minutes"
    );
    assert_eq!(
        verify(
            b"other",
            Some("1700000000"),
            Some(&signature),
            BODY,
            at(1_700_000_000)
        ),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify(b"secret", None, Some(&signature), BODY, at(1_700_000_000)),
        Err(SignatureError::BadTimestamp)
    );
    assert_eq!(
        check("1700000000", "sha256=zz", BODY, 1_700_000_000),
        Err(SignatureError::Mismatch)
    );
}
