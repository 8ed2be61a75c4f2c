//! The JWT check: HS256 only, then the time claims with a leeway, then the admin role.

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};

use super::{Actor, JWT_LEEWAY_SECS, JwtSettings, Refusal};
use crate::ApiError;

/// A numeric date claim (`exp`, `nbf`, `iat`): absent, or whole seconds.
fn time_claim(claims: &serde_json::Value, name: &str) -> Result<Option<i64>, String> {
    match claims.get(name) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .or_else(|| {
                v.as_f64()
                    .filter(|f| f.is_finite())
                    .map(|f| f.floor() as i64)
            })
            .map(Some)
            .ok_or_else(|| format!("the token's {name} claim is not a number")),
    }
}

impl JwtSettings {
    pub(super) fn check(&self, token: &str, now: i64) -> Result<Actor, Refusal> {
        // Only HS256 is accepted: any other `alg` (none, HS512, RS256…) fails here, before the
        // signature is looked at. The time claims are checked below, once the signature holds.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_aud = false;
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.required_spec_claims.clear();
        let claims = jsonwebtoken::decode::<serde_json::Value>(token, &self.key, &validation)
            .map_err(|e| {
                Refusal::anonymous(ApiError::unauthorized(match e.kind() {
                    ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
                        "the token is not signed with HS256"
                    }
                    ErrorKind::InvalidSignature => "the token's signature is wrong",
                    _ => "the token is malformed or its signature is wrong",
                }))
            })?
            .claims;
        let subject = claims
            .get("sub")
            .and_then(|s| s.as_str())
            .unwrap_or("unknown");
        let actor = Actor(format!("jwt:{subject}"));
        let refuse = |message: String| Refusal {
            error: ApiError::unauthorized(message),
            actor: Some(actor.clone()),
        };
        let exp = time_claim(&claims, "exp")
            .map_err(refuse)?
            .ok_or_else(|| refuse("the token lacks the exp claim".to_owned()))?;
        if exp.saturating_add(JWT_LEEWAY_SECS) < now {
            return Err(refuse("the token has expired".to_owned()));
        }
        if let Some(nbf) = time_claim(&claims, "nbf").map_err(refuse)?
            && nbf.saturating_sub(JWT_LEEWAY_SECS) > now
        {
            return Err(refuse(format!(
                "the token is not valid yet (its nbf is {} s from now)",
                nbf - now
            )));
        }
        if let Some(iat) = time_claim(&claims, "iat").map_err(refuse)?
            && iat.saturating_sub(JWT_LEEWAY_SECS) > now
        {
            return Err(refuse(format!(
                "the token claims to be issued in the future (its iat is {} s from now)",
                iat - now
            )));
        }
        if self.has_admin_role(&claims) {
            Ok(actor)
        } else {
            Err(Refusal {
                error: ApiError::forbidden(format!(
                    "the token is valid but its {} claim is not {:?}",
                    self.role_claim.join("."),
                    self.admin_role
                )),
                actor: Some(actor),
            })
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
