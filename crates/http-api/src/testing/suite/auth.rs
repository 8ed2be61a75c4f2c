//! Authentication: tokens, JWT signatures and times, and the audit of refused attempts.

use std::sync::Arc;

use chrono::Utc;
use propimport_domain::ExecutionStore;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{JOBS, JWT_SECRET, call, call_as, client, jwt};
use crate::testing::{TOKEN, TestServer};

/// 401 without or with a wrong token, expired or malformed JWTs; 403 for a JWT without the role.
pub async fn authentication(store: Arc<dyn ExecutionStore>) {
    let server = TestServer::start(store, JOBS, false).await;
    let path = "/api/v1/admin/import-jobs/history";
    let exp = Utc::now().timestamp() + 300;
    let cases: Vec<(Option<String>, StatusCode)> = vec![
        (None, StatusCode::UNAUTHORIZED),
        (Some("wrong-token".into()), StatusCode::UNAUTHORIZED),
        (Some(format!("{TOKEN}x")), StatusCode::UNAUTHORIZED),
        (Some("a.b.c".into()), StatusCode::UNAUTHORIZED),
        (
            Some(jwt(
                json!({"sub": "u", "exp": exp - 900, "app_metadata": {"role": "admin"}}),
            )),
            StatusCode::UNAUTHORIZED,
        ),
        (
            Some(jwt(
                json!({"sub": "u", "exp": exp, "app_metadata": {"role": "editor"}}),
            )),
            StatusCode::FORBIDDEN,
        ),
        (
            Some(jwt(
                json!({"sub": "u", "exp": exp, "app_metadata": {"role": "admin"}}),
            )),
            StatusCode::OK,
        ),
        (Some(TOKEN.into()), StatusCode::OK),
    ];
    for (token, expected) in cases {
        for method_path in [
            (Method::GET, path),
            (
                Method::POST,
                "/api/v1/admin/import-jobs/trigger?jobName=nope",
            ),
        ] {
            let (status, body) = call_as(
                &server,
                method_path.0.clone(),
                method_path.1,
                None,
                token.as_deref(),
            )
            .await;
            let expected = if method_path.0 == Method::POST && expected == StatusCode::OK {
                StatusCode::BAD_REQUEST
            } else {
                expected
            };
            assert_eq!(status, expected, "{method_path:?} with {token:?}: {body}");
            assert_eq!(
                body["success"],
                if expected == StatusCode::OK {
                    json!(true)
                } else {
                    json!(false)
                }
            );
        }
    }
    let response = client()
        .get(server.url(path))
        .header("Authorization", "Basic dXNlcjpwYXNz")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers().contains_key("www-authenticate"));
    server.stop().await;
}

/// Base64url without padding, as JWTs encode their parts.
fn b64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// A JWT with this header and these claims, signed with `secret` by HMAC-SHA256 whatever the
/// header says.
fn forge(header: &Value, claims: &Value, secret: &[u8]) -> String {
    let _ = jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.install_default();
    let signed = format!(
        "{}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(claims.to_string().as_bytes())
    );
    let signature = jsonwebtoken::crypto::sign(
        signed.as_bytes(),
        &jsonwebtoken::EncodingKey::from_secret(secret),
        jsonwebtoken::Algorithm::HS256,
    )
    .unwrap_or_default();
    format!("{signed}.{signature}")
}

/// JWT checks over real HTTP: only HS256 signed with the secret is accepted, and `exp`, `nbf`
/// and `iat` are checked (30 s leeway). Every forged, altered or untimely token gets 401 on a
/// read and on a trigger; the genuine one 200 and 202 (switching signature checks off fails
/// this case).
pub async fn jwt_signatures_and_times(store: Arc<dyn ExecutionStore>) {
    let server = TestServer::start(store, JOBS, false).await;
    let now = Utc::now().timestamp();
    let admin = |extra: Value| {
        let mut claims = json!({"sub": "ops-1", "exp": now + 300, "iat": now, "app_metadata": {"role": "admin"}});
        if let (Some(c), Some(e)) = (claims.as_object_mut(), extra.as_object()) {
            c.extend(e.clone());
        }
        claims
    };
    let hs256 = json!({"alg": "HS256", "typ": "JWT"});
    let genuine = forge(&hs256, &admin(json!({})), JWT_SECRET);
    let mut parts: Vec<&str> = genuine.split('.').collect();
    let promoted = b64url(admin(json!({"sub": "intruder"})).to_string().as_bytes());
    parts[1] = &promoted;
    let tampered = parts.join(".");
    let _ = jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.install_default();
    let hs512 = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS512),
        &admin(json!({})),
        &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET),
    )
    .unwrap_or_default();
    let unsigned = format!(
        "{}.{}.",
        b64url(br#"{"alg":"none","typ":"JWT"}"#),
        b64url(admin(json!({})).to_string().as_bytes())
    );
    let refused: Vec<(&str, String)> = vec![
        (
            "another secret",
            forge(
                &hs256,
                &admin(json!({})),
                b"another-secret-0123456789abcdef0123",
            ),
        ),
        ("a tampered payload", tampered),
        ("alg none", unsigned),
        ("HS512 with the right secret", hs512),
        (
            "an RS256 header",
            forge(
                &json!({"alg": "RS256", "typ": "JWT"}),
                &admin(json!({})),
                JWT_SECRET,
            ),
        ),
        (
            "a future nbf",
            forge(&hs256, &admin(json!({"nbf": now + 600})), JWT_SECRET),
        ),
        (
            "a future iat",
            forge(&hs256, &admin(json!({"iat": now + 600})), JWT_SECRET),
        ),
        (
            "an expired one",
            forge(&hs256, &admin(json!({"exp": now - 120})), JWT_SECRET),
        ),
        (
            "no exp",
            forge(
                &hs256,
                &json!({"sub": "ops-1", "app_metadata": {"role": "admin"}}),
                JWT_SECRET,
            ),
        ),
    ];
    let trigger = (Method::POST, "/api/v1/admin/import-jobs/trigger");
    let read = (Method::GET, "/api/v1/admin/import-jobs/history");
    for (what, token) in &refused {
        for (method, path) in [read.clone(), trigger.clone()] {
            let (status, body) = call_as(&server, method.clone(), path, None, Some(token)).await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{what} on {method} {path}: {body}"
            );
            assert_eq!(body["error"]["code"], "UNAUTHORIZED", "{what}: {body}");
        }
    }
    for (what, token, text) in [
        (refused[5].0, &refused[5].1, "not valid yet"),
        (refused[6].0, &refused[6].1, "issued in the future"),
        (refused[7].0, &refused[7].1, "expired"),
    ] {
        let (_, body) = call_as(&server, read.0.clone(), read.1, None, Some(token)).await;
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(text), "{what}: {message}");
    }
    let within = forge(
        &hs256,
        &admin(json!({"nbf": now + 10, "iat": now + 10, "exp": now - 10})),
        JWT_SECRET,
    );
    for token in [&genuine, &within] {
        let (status, body) = call_as(&server, read.0.clone(), read.1, None, Some(token)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, body) = call_as(
        &server,
        Method::POST,
        trigger.1,
        Some(json!({"jobName": JOBS[0]})),
        Some(&genuine),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let (_, audit) = call_as(
        &server,
        Method::GET,
        "/api/v1/admin/audit-log?limit=1",
        None,
        Some(TOKEN),
    )
    .await;
    assert_eq!(audit["data"]["entries"][0]["actor"], "jwt:ops-1");
    assert_eq!(audit["data"]["entries"][0]["outcome"], "accepted");
    server.stop().await;
}

/// Refused `POST /trigger` attempts (401, 403) are audited: the actor is the token's subject
/// when its signature held, else `unauthenticated`; the detail says why and never holds the
/// token. A flood from one address is bounded per minute, and the rest summarised in one row
/// once the minute is over.
pub async fn refused_attempts_audited_and_bounded(store: Arc<dyn ExecutionStore>) {
    let start = Utc::now();
    let clock = Arc::new(propimport_domain::testing::ManualClock::new(start));
    let server = TestServer::start_with_clock(store, JOBS, false, clock.clone()).await;
    let trigger = "/api/v1/admin/import-jobs/trigger";
    let exp = start.timestamp() + 300;
    let viewer = jwt(json!({"sub": "viewer-7", "exp": exp, "app_metadata": {"role": "editor"}}));
    let expired = jwt(json!({"sub": "old-9", "exp": exp - 900, "app_metadata": {"role": "admin"}}));
    let wrong = "wrong-static-token-0123456789";
    let attempts: Vec<(Option<&str>, StatusCode, &str, &str)> = vec![
        (
            None,
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "missing Authorization",
        ),
        (
            Some(wrong),
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "not valid",
        ),
        (
            Some(&viewer),
            StatusCode::FORBIDDEN,
            "jwt:viewer-7",
            "claim is not",
        ),
        (
            Some(&expired),
            StatusCode::UNAUTHORIZED,
            "jwt:old-9",
            "expired",
        ),
    ];
    for (token, status, _, _) in &attempts {
        let (got, body) = call_as(
            &server,
            Method::POST,
            trigger,
            Some(json!({"jobName": JOBS[0]})),
            *token,
        )
        .await;
        assert_eq!(got, *status, "{token:?}: {body}");
    }
    let audit = |limit: u32| {
        let server = &server;
        async move {
            let path = format!("/api/v1/admin/audit-log?limit={limit}");
            call_as(server, Method::GET, &path, None, Some(TOKEN))
                .await
                .1
        }
    };
    let log = audit(10).await;
    let entries = log["data"]["entries"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(entries.len(), attempts.len(), "{log}");
    for (entry, (token, _, actor, why)) in entries.iter().rev().zip(&attempts) {
        assert_eq!(entry["actor"], *actor, "{entry}");
        assert_eq!(entry["outcome"], "refused");
        assert_eq!(entry["action"], "trigger");
        let detail = entry["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(why), "{detail}");
        if let Some(token) = token {
            assert!(
                !detail.contains(token) && !entry.to_string().contains(token),
                "{entry}"
            );
        }
    }

    // A flood: rows up to the per-address budget, then counted.
    let budget = crate::audit_budget::PER_ADDRESS as usize;
    for _ in 0..budget + 15 {
        let (status, _) = call_as(&server, Method::POST, trigger, None, Some("not-a-token")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let log = audit(100).await;
    assert_eq!(
        log["data"]["pagination"]["total"], budget,
        "at most {budget} rows a minute: {log}"
    );
    // An admin's accepted trigger is always written.
    let (status, _) = call(
        &server,
        Method::POST,
        trigger,
        Some(json!({"jobName": JOBS[0]})),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    clock.advance(chrono::Duration::seconds(61));
    let log = audit(2).await;
    let summary = &log["data"]["entries"][0];
    assert_eq!(
        summary["actor"],
        crate::audit_budget::SUMMARY_ACTOR,
        "{log}"
    );
    assert_eq!(summary["remoteAddr"], "127.0.0.1");
    let detail = summary["detail"].as_str().unwrap_or_default();
    let suppressed = attempts.len() + 15;
    assert!(
        detail.starts_with(&format!("{suppressed} more refused trigger attempts")),
        "{detail}"
    );
    assert_eq!(log["data"]["pagination"]["total"], budget + 2);
    let (status, _) = call_as(&server, Method::POST, trigger, None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let log = audit(1).await;
    assert_eq!(
        log["data"]["pagination"]["total"],
        budget + 3,
        "a new minute, a new budget"
    );
    server.stop().await;
}
