//! Unit tests of the token checks.

use actix_web::http::StatusCode;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

use super::*;

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

fn jwt(claims: serde_json::Value) -> String {
    let _ = jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.install_default();
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(SECRET),
    )
    .unwrap()
}

fn settings() -> AuthSettings {
    AuthSettings::new(
        Some("a-long-admin-token".into()),
        Some(JwtSettings::new(SECRET, "app_metadata.role", "admin").unwrap()),
    )
    .unwrap()
}

fn exp(offset: i64) -> i64 {
    chrono::Utc::now().timestamp() + offset
}

#[test]
fn static_token() {
    let s = settings();
    assert_eq!(
        s.authenticate("a-long-admin-token").unwrap().0,
        "token:admin"
    );
    assert_eq!(
        s.authenticate("a-long-admin-tokeX").unwrap_err().status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        s.authenticate("short").unwrap_err().status(),
        StatusCode::UNAUTHORIZED
    );
}

#[test]
fn jwt_roles() {
    let s = settings();
    let admin = jwt(json!({"sub": "u1", "exp": exp(60), "app_metadata": {"role": "admin"}}));
    assert_eq!(s.authenticate(&admin).unwrap().0, "jwt:u1");
    let listed =
        jwt(json!({"sub": "u2", "exp": exp(60), "app_metadata": {"role": ["x", "admin"]}}));
    assert_eq!(s.authenticate(&listed).unwrap().0, "jwt:u2");
    let user = jwt(json!({"sub": "u3", "exp": exp(60), "app_metadata": {"role": "user"}}));
    assert_eq!(
        s.authenticate(&user).unwrap_err().status(),
        StatusCode::FORBIDDEN
    );
    let expired = jwt(json!({"sub": "u1", "exp": exp(-600), "app_metadata": {"role": "admin"}}));
    let e = s.authenticate(&expired).unwrap_err();
    assert_eq!(e.status(), StatusCode::UNAUTHORIZED);
    assert!(e.body().error.message.contains("expired"));
    assert_eq!(
        s.authenticate("a.b.c").unwrap_err().status(),
        StatusCode::UNAUTHORIZED
    );
    let no_exp = jwt(json!({"sub": "u1", "app_metadata": {"role": "admin"}}));
    assert_eq!(
        s.authenticate(&no_exp).unwrap_err().status(),
        StatusCode::UNAUTHORIZED
    );
}

#[test]
fn time_claims_with_leeway() {
    let s = settings();
    let now = chrono::Utc::now().timestamp();
    let token = |extra: serde_json::Value| {
        let mut claims = json!({"sub": "u9", "exp": now + 600, "app_metadata": {"role": "admin"}});
        if let (Some(c), Some(e)) = (claims.as_object_mut(), extra.as_object()) {
            c.extend(e.clone());
        }
        jwt(claims)
    };
    let refused = |t: &str| s.check(t, now).unwrap_err();
    // Within the leeway: accepted.
    for ok in [
        json!({"exp": now - JWT_LEEWAY_SECS + 1}),
        json!({"nbf": now + JWT_LEEWAY_SECS - 1}),
        json!({"iat": now + JWT_LEEWAY_SECS - 1}),
        json!({"nbf": now - 60, "iat": now - 60}),
    ] {
        assert!(s.check(&token(ok.clone()), now).is_ok(), "{ok}");
    }
    let expired = refused(&token(json!({"exp": now - JWT_LEEWAY_SECS - 1})));
    assert!(expired.error.body().error.message.contains("expired"));
    assert_eq!(
        expired.actor,
        Some(Actor("jwt:u9".into())),
        "the signature held"
    );
    let early = refused(&token(json!({"nbf": now + JWT_LEEWAY_SECS + 5})));
    assert_eq!(early.error.status(), StatusCode::UNAUTHORIZED);
    assert!(early.error.body().error.message.contains("not valid yet"));
    let future = refused(&token(json!({"iat": now + 3600})));
    assert_eq!(future.error.status(), StatusCode::UNAUTHORIZED);
    assert!(future.error.body().error.message.contains("iat"));
    let text = refused(&token(json!({"exp": "soon"})));
    assert!(
        text.error
            .body()
            .error
            .message
            .contains("exp claim is not a number")
    );
    let forged = refused("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.");
    assert_eq!(forged.actor, None, "an unverified subject is not trusted");
}

#[test]
fn plain_role_claim_and_settings_checks() {
    let s = AuthSettings::new(
        None,
        Some(JwtSettings::new(SECRET, "role", "admin").unwrap()),
    )
    .unwrap();
    let admin = jwt(json!({"sub": "u1", "exp": exp(60), "role": "admin"}));
    assert_eq!(s.authenticate(&admin).unwrap().0, "jwt:u1");
    assert_eq!(
        AuthSettings::new(None, None).unwrap_err(),
        AuthError::NothingConfigured
    );
    assert_eq!(
        AuthSettings::new(Some("short".into()), None).unwrap_err(),
        AuthError::TokenTooShort(5)
    );
    assert!(JwtSettings::new(b"short", "role", "admin").is_err());
}
