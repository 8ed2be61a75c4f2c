//! Authentication of the admin endpoints: a static bearer token compared in constant time,
//! or an HS256 JWT whose role claim must name the admin role. Tokens are never logged.

use actix_web::HttpRequest;
use actix_web::http::header;
use jsonwebtoken::DecodingKey;
use subtle::ConstantTimeEq;

use crate::ApiError;

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

/// How far (in seconds) a JWT's `exp`, `nbf` and `iat` may be off the server's clock: a
/// token expired up to this long ago is still accepted, and one whose `nbf` or `iat` is up to
/// this far in the future.
pub const JWT_LEEWAY_SECS: i64 = 30;

/// Why a request was refused (401 or 403), and who it proved to be when its token was genuine
/// (a JWT with a good signature that is expired, not yet valid or without the admin role).
#[derive(Debug, Clone)]
pub(crate) struct Refusal {
    /// The answer.
    pub(crate) error: ApiError,
    /// `jwt:<subject>` when the token's signature was verified.
    pub(crate) actor: Option<Actor>,
}

impl Refusal {
    fn anonymous(error: ApiError) -> Self {
        Self { error, actor: None }
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
        self.check(bearer, chrono::Utc::now().timestamp())
            .map_err(|r| r.error)
    }

    /// Who presents `bearer` at `now` (Unix seconds), or why not.
    pub(crate) fn check(&self, bearer: &str, now: i64) -> Result<Actor, Refusal> {
        if let Some(token) = &self.token
            && bool::from(token.as_slice().ct_eq(bearer.as_bytes()))
        {
            return Ok(Actor("token:admin".to_owned()));
        }
        match &self.jwt {
            Some(jwt) if bearer.split('.').count() == 3 => jwt.check(bearer, now),
            _ => Err(Refusal::anonymous(ApiError::unauthorized(
                "the bearer token is not valid",
            ))),
        }
    }
}

/// The authenticated caller: `token:admin` or `jwt:<subject>`; recorded in the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor(pub String);

/// Extracts and checks the `Authorization: Bearer …` header of an admin request.
pub(crate) struct Admin;

/// The outcome of checking an admin request's credentials, for a handler that records
/// refusals itself (`POST /trigger`); extracting it never fails.
pub(crate) struct Attempt(pub(crate) Result<Actor, Refusal>);

/// Checks the `Authorization: Bearer …` header of `req` against `settings` (`None`: the API
/// state is not configured). The extractors in `state.rs` call it with the shared state's.
pub(crate) fn attempt(
    settings: Option<&AuthSettings>,
    req: &HttpRequest,
) -> Result<Actor, Refusal> {
    let settings = settings
        .ok_or_else(|| Refusal::anonymous(ApiError::internal("the API state is not configured")))?;
    let unauthorized = |m: &str| Refusal::anonymous(ApiError::unauthorized(m));
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| unauthorized("missing Authorization: Bearer <token> header"))?;
    let text = value
        .to_str()
        .map_err(|_| unauthorized("the Authorization header is not valid text"))?;
    let bearer = text
        .strip_prefix("Bearer ")
        .or_else(|| text.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| unauthorized("the Authorization header must be Bearer <token>"))?;
    settings.check(bearer, chrono::Utc::now().timestamp())
}

mod jwt;
#[cfg(test)]
mod tests;
