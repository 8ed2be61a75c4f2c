//! Authentication of the admin endpoints: a static bearer token compared in constant time,
//! or an HS256 JWT whose role claim must name the admin role. Tokens are never logged.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use subtle::ConstantTimeEq;

use crate::ApiError;
use crate::state::SharedState;

/// How an admin request proves who it is. At least one of the two must be set.
#[derive(Clone)]
pub struct AuthSettings {
    token: Option<Vec<u8>>,
    jwt: Option<JwtSettings>,
}

/// HS256 JWT verification (as Supabase issues): the secret and where the role is.
#[derive(Clone)]
pub struct JwtSettings {
    key: DecodingKey,
    role_claim: Vec<String>,
    admin_role: String,
}

impl std::fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthSettings")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field(
                "jwt",
                &self.jwt.as_ref().map(|j| (&j.role_claim, &j.admin_role)),
            )
            .finish()
    }
}

/// Why auth settings were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// Neither a token nor a JWT secret was given: the API would be open.
    #[error("no admin token and no JWT secret: the admin API must not be served unauthenticated")]
    NothingConfigured,
    /// The static token is too short to resist guessing.
    #[error("the admin token must be at least 16 characters, got {0}")]
    TokenTooShort(usize),
    /// The JWT secret is too short for HS256.
    #[error("the JWT secret must be at least 32 bytes, got {0}")]
    SecretTooShort(usize),
}

impl JwtSettings {
    /// HS256 with `secret`; `role_claim` is a dotted path (`app_metadata.role`) whose value,
    /// a string or an array of strings, must contain `admin_role`.
    pub fn new(
        secret: &[u8],
        role_claim: &str,
        admin_role: impl Into<String>,
    ) -> Result<Self, AuthError> {
        if secret.len() < 32 {
            return Err(AuthError::SecretTooShort(secret.len()));
        }
        // Only one backend is compiled in; installing it explicitly keeps the choice certain.
        let _ = jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.install_default();
        Ok(Self {
            key: DecodingKey::from_secret(secret),
            role_claim: role_claim.split('.').map(str::to_owned).collect(),
            admin_role: admin_role.into(),
        })
    }
}

impl AuthSettings {
    /// Checks the combination: at least one method, a token of 16+ characters.
    pub fn new(token: Option<String>, jwt: Option<JwtSettings>) -> Result<Self, AuthError> {
        if let Some(t) = &token
            && t.chars().count() < 16
        {
            return Err(AuthError::TokenTooShort(t.chars().count()));
        }
        if token.is_none() && jwt.is_none() {
            return Err(AuthError::NothingConfigured);
        }
        Ok(Self {
            token: token.map(String::into_bytes),
            jwt,
        })
    }

    /// Who presents `bearer`, or why they are refused (401 unknown/expired, 403 no role).
    pub fn authenticate(&self, bearer: &str) -> Result<Actor, ApiError> {
        if let Some(token) = &self.token
            && bool::from(token.as_slice().ct_eq(bearer.as_bytes()))
        {
            return Ok(Actor("token:admin".to_owned()));
        }
        match &self.jwt {
            Some(jwt) if bearer.split('.').count() == 3 => jwt.authenticate(bearer),
            _ => Err(ApiError::unauthorized("the bearer token is not valid")),
        }
    }
}

impl JwtSettings {
    fn authenticate(&self, token: &str) -> Result<Actor, ApiError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_aud = false;
        validation.leeway = 5;
        let claims = jsonwebtoken::decode::<serde_json::Value>(token, &self.key, &validation)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => ApiError::unauthorized("the token has expired"),
                ErrorKind::ImmatureSignature => {
                    ApiError::unauthorized("the token is not valid yet")
                }
                ErrorKind::MissingRequiredClaim(c) => {
                    ApiError::unauthorized(format!("the token lacks the {c} claim"))
                }
                _ => ApiError::unauthorized("the token is malformed or its signature is wrong"),
            })?
            .claims;
        let subject = claims
            .get("sub")
            .and_then(|s| s.as_str())
            .unwrap_or("unknown");
        let actor = Actor(format!("jwt:{subject}"));
        if self.has_admin_role(&claims) {
            Ok(actor)
        } else {
            Err(ApiError::forbidden(format!(
                "the token is valid but its {} claim is not {:?}",
                self.role_claim.join("."),
                self.admin_role
            )))
        }
    }

    fn has_admin_role(&self, claims: &serde_json::Value) -> bool {
        let found = self.role_claim.iter().try_fold(claims, |v, key| v.get(key));
        match found {
            Some(serde_json::Value::String(s)) => s == &self.admin_role,
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .any(|i| i.as_str() == Some(self.admin_role.as_str())),
            _ => false,
        }
    }
}

/// The authenticated caller: `token:admin` or `jwt:<subject>`; recorded in the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor(pub String);

/// Extracts and checks the `Authorization: Bearer …` header of an admin request.
pub struct Admin(pub Actor);

impl FromRequest for Admin {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(admin(req))
    }
}

fn admin(req: &HttpRequest) -> Result<Admin, ApiError> {
    let state = req
        .app_data::<web::Data<SharedState>>()
        .ok_or_else(|| ApiError::internal("the API state is not configured"))?;
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("missing Authorization: Bearer <token> header"))?;
    let text = value
        .to_str()
        .map_err(|_| ApiError::unauthorized("the Authorization header is not valid text"))?;
    let bearer = text
        .strip_prefix("Bearer ")
        .or_else(|| text.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::unauthorized("the Authorization header must be Bearer <token>"))?;
    state.auth.authenticate(bearer).map(Admin)
}

#[cfg(test)]
mod tests {
    use actix_web::http::StatusCode;
    use jsonwebtoken::{EncodingKey, Header};
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
        assert!(s.authenticate(&listed).is_ok());
        let user = jwt(json!({"sub": "u3", "exp": exp(60), "app_metadata": {"role": "user"}}));
        assert_eq!(
            s.authenticate(&user).unwrap_err().status(),
            StatusCode::FORBIDDEN
        );
        let expired =
            jwt(json!({"sub": "u1", "exp": exp(-600), "app_metadata": {"role": "admin"}}));
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
    fn plain_role_claim_and_settings_checks() {
        let s = AuthSettings::new(
            None,
            Some(JwtSettings::new(SECRET, "role", "admin").unwrap()),
        )
        .unwrap();
        let admin = jwt(json!({"sub": "u1", "exp": exp(60), "role": "admin"}));
        assert!(s.authenticate(&admin).is_ok());
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
}
