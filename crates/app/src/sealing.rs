//! Source credentials sealed with the service's key (`SOURCE_CREDENTIALS_KEY`, 32 bytes as
//! 64 hex digits): XChaCha20-Poly1305 with a random 24-byte nonce, the source's name as
//! associated data (a sealed value copied to another source does not open), and a version
//! byte in front so that the scheme can change later.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use propimport_domain::{JobName, SourceCredentials};

/// The first byte of a value sealed by this scheme.
const VERSION: u8 = 1;
/// The nonce's length.
const NONCE: usize = 24;

/// The key that seals and opens source credentials.
#[derive(Clone)]
pub struct CredentialKey(chacha20poly1305::Key);

impl std::fmt::Debug for CredentialKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CredentialKey(<hidden>)")
    }
}

impl CredentialKey {
    /// Reads a key written as 64 hexadecimal digits; the problem never repeats the value.
    pub fn from_hex(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.len() != 64 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!(
                "expected 64 hexadecimal digits (32 random bytes, such as the output of `openssl rand -hex 32`), got {} characters",
                text.chars().count()
            ));
        }
        let mut key = [0u8; 32];
        for (i, byte) in key.iter_mut().enumerate() {
            let pair = text.get(2 * i..2 * i + 2).unwrap_or("00");
            *byte = u8::from_str_radix(pair, 16).map_err(|e| e.to_string())?;
        }
        Ok(Self(key.into()))
    }

    /// Seals the credentials of source `name`.
    pub fn seal(&self, name: &JobName, credentials: &SourceCredentials) -> Result<Vec<u8>, String> {
        let plain = serde_json::to_vec(credentials).map_err(|e| e.to_string())?;
        let mut nonce = [0u8; NONCE];
        getrandom::fill(&mut nonce).map_err(|e| format!("no random nonce: {e}"))?;
        let sealed = XChaCha20Poly1305::new(&self.0)
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &plain,
                    aad: name.as_str().as_bytes(),
                },
            )
            .map_err(|_| "the credentials could not be sealed".to_owned())?;
        let mut out = Vec::with_capacity(1 + NONCE + sealed.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Opens the sealed credentials of source `name`; fails for another key, another source
    /// or altered bytes.
    pub fn open(&self, name: &JobName, sealed: &[u8]) -> Result<SourceCredentials, String> {
        let (Some(&VERSION), Some(nonce), Some(body)) = (
            sealed.first(),
            sealed
                .get(1..1 + NONCE)
                .and_then(|n| <[u8; NONCE]>::try_from(n).ok()),
            sealed.get(1 + NONCE..),
        ) else {
            return Err("the sealed credentials are not in a known format".to_owned());
        };
        let plain = XChaCha20Poly1305::new(&self.0)
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: body,
                    aad: name.as_str().as_bytes(),
                },
            )
            .map_err(|_| {
                "the credentials do not open with SOURCE_CREDENTIALS_KEY (another key sealed them, or they were altered)".to_owned()
            })?;
        serde_json::from_slice(&plain)
            .map_err(|e| format!("the opened credentials do not read: {e}"))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn key(digit: char) -> CredentialKey {
        CredentialKey::from_hex(&digit.to_string().repeat(64)).unwrap()
    }

    fn name(text: &str) -> JobName {
        JobName::parse(text).unwrap()
    }

    #[test]
    fn sealed_credentials_open_with_the_key_for_their_source_only() {
        let credentials = SourceCredentials {
            token: Some("s3cret-token".into()),
            client_secret: None,
        };
        let sealed = key('a').seal(&name("feed"), &credentials).unwrap();
        assert!(!String::from_utf8_lossy(&sealed).contains("s3cret"));
        assert_eq!(key('a').open(&name("feed"), &sealed).unwrap(), credentials);
        assert!(
            key('b').open(&name("feed"), &sealed).is_err(),
            "another key"
        );
        assert!(
            key('a').open(&name("other"), &sealed).is_err(),
            "another source"
        );
        let mut altered = sealed.clone();
        if let Some(last) = altered.last_mut() {
            *last ^= 1;
        }
        assert!(key('a').open(&name("feed"), &altered).is_err(), "altered");
        assert!(key('a').open(&name("feed"), &[]).is_err());
        assert!(key('a').open(&name("feed"), &[9; 40]).is_err());
        let again = key('a').seal(&name("feed"), &credentials).unwrap();
        assert_ne!(sealed, again, "a fresh nonce each time");
    }

    #[test]
    fn a_key_is_64_hex_digits_and_the_problem_never_shows_it() {
        assert!(CredentialKey::from_hex(&"0f".repeat(32)).is_ok());
        let short = CredentialKey::from_hex("abc123").unwrap_err();
        assert!(short.contains("got 6 characters"), "{short}");
        let bad = CredentialKey::from_hex(&"zz".repeat(32)).unwrap_err();
        assert!(!bad.contains("zz"), "{bad}");
        assert!(!format!("{:?}", key('c')).contains("ccc"));
    }
}
