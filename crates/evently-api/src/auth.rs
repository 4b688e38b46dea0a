//! JWT bearer tokens: issued at login, checked on every authenticated request.

use std::future::{Ready, ready};
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use chrono::Utc;
use evently_domain::UserId;
use evently_domain::user::{Role, User};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// How long a token is valid.
pub const TOKEN_TTL: Duration = Duration::from_secs(3600);

/// Seconds of clock skew tolerated when checking `exp`.
const LEEWAY_SECS: u64 = 5;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    role: String,
    iat: i64,
    exp: i64,
}

/// The shortest HS256 secret accepted, in bytes (RFC 7518 §3.2: at least the hash's size).
pub const MIN_SECRET_BYTES: usize = 32;

/// Why a JWT secret was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WeakSecret {
    /// Fewer than [`MIN_SECRET_BYTES`] bytes.
    #[error("EVENTLY_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes (e.g. `openssl rand -hex 32`)")]
    TooShort,
    /// A placeholder from the documentation or the deployment examples.
    #[error("EVENTLY_JWT_SECRET is a documented placeholder; generate a random one (e.g. `openssl rand -hex 32`)")]
    Placeholder,
}

/// The HS256 keys made from `EVENTLY_JWT_SECRET`.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKeys(***)")
    }
}

impl TokenKeys {
    /// Keys for a secret. Only HS256 is accepted; `exp` and `sub` are required.
    ///
    /// # Errors
    /// [`WeakSecret`] for a secret under [`MIN_SECRET_BYTES`] or a known placeholder.
    pub fn new(secret: &SecretString) -> Result<Self, WeakSecret> {
        let bytes = secret.expose_secret().as_bytes();
        if bytes.len() < MIN_SECRET_BYTES {
            return Err(WeakSecret::TooShort);
        }
        if secret.expose_secret().to_ascii_lowercase().contains("change-me") {
            return Err(WeakSecret::Placeholder);
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = LEEWAY_SECS;
        validation.set_required_spec_claims(&["exp", "sub", "iat"]);
        Ok(Self { encoding: EncodingKey::from_secret(bytes), decoding: DecodingKey::from_secret(bytes), validation })
    }

    /// A token for `user`, valid for [`TOKEN_TTL`].
    ///
    /// # Errors
    /// When signing fails (it should not).
    pub fn issue(&self, user: &User) -> Result<String, ApiError> {
        let iat = Utc::now().timestamp();
        let ttl = i64::try_from(TOKEN_TTL.as_secs()).unwrap_or(i64::MAX);
        let claims = Claims { sub: user.id.to_string(), role: user.role.as_str().to_owned(), iat, exp: iat + ttl };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(|e| ApiError::Internal(e.into()))
    }

    fn verify(&self, token: &str) -> Result<Authenticated, ApiError> {
        let claims =
            decode::<Claims>(token, &self.decoding, &self.validation).map_err(|_| ApiError::Unauthorized)?.claims;
        let user_id = claims.sub.parse().ok().and_then(UserId::new).ok_or(ApiError::Unauthorized)?;
        let role = Role::parse(&claims.role).ok_or(ApiError::Unauthorized)?;
        Ok(Authenticated { user_id, token_role: role })
    }
}

/// The bearer of a valid token. Handlers that act on roles re-read the role from the
/// store (see [`crate::AppState::actor`]); the token's role only saves that read where
/// a role does not matter.
#[derive(Debug, Clone, Copy)]
pub struct Authenticated {
    /// The user the token was issued to.
    pub user_id: UserId,
    /// The role at issue time.
    pub token_role: Role,
}

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim);
        let keys = req.app_data::<web::Data<TokenKeys>>();
        ready(match (token, keys) {
            (Some(token), Some(keys)) => keys.verify(token),
            (None, _) => Err(ApiError::Unauthorized),
            (Some(_), None) => Err(ApiError::Internal(anyhow::anyhow!("token keys are not configured"))),
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use evently_domain::user::{Email, UserName};

    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::new(&SecretString::from("a test secret that is long enough to sign")).unwrap()
    }

    fn user() -> User {
        User {
            id: UserId::new(7).unwrap(),
            name: UserName::new("Ada").unwrap(),
            email: Email::new("ada@example.org").unwrap(),
            role: Role::Admin,
            created_at: Utc::now(),
        }
    }

    #[test]
    fn short_and_placeholder_secrets_are_refused() {
        let short = TokenKeys::new(&SecretString::from("x".repeat(MIN_SECRET_BYTES - 1)));
        assert_eq!(short.err(), Some(WeakSecret::TooShort));
        let example = TokenKeys::new(&SecretString::from("change-me-to-32-random-bytes-of-randomness"));
        assert_eq!(example.err(), Some(WeakSecret::Placeholder));
        assert!(TokenKeys::new(&SecretString::from("x".repeat(MIN_SECRET_BYTES))).is_ok());
    }

    #[test]
    fn issued_tokens_verify() {
        let keys = keys();
        let auth = keys.verify(&keys.issue(&user()).unwrap()).unwrap();
        assert_eq!((auth.user_id.get(), auth.token_role), (7, Role::Admin));
    }

    #[test]
    fn expiry_allows_a_few_seconds_of_clock_skew_and_no_more() {
        let keys = keys();
        let token = |exp: i64| {
            let claims = Claims { sub: "7".into(), role: "user".into(), iat: exp - 60, exp };
            encode(&Header::new(Algorithm::HS256), &claims, &keys.encoding).unwrap()
        };
        let now = Utc::now().timestamp();
        assert!(keys.verify(&token(now - 2)).is_ok());
        assert!(matches!(keys.verify(&token(now - 10)), Err(ApiError::Unauthorized)));
    }

    #[test]
    fn other_secrets_algorithms_and_expired_tokens_are_refused() {
        let keys = keys();
        let other = TokenKeys::new(&SecretString::from("another secret, just as long as the first")).unwrap();
        assert!(matches!(keys.verify(&other.issue(&user()).unwrap()), Err(ApiError::Unauthorized)));
        let now = Utc::now().timestamp();
        let claims = Claims { sub: "7".into(), role: "admin".into(), iat: now - 100, exp: now - 60 };
        let expired = encode(&Header::new(Algorithm::HS256), &claims, &keys.encoding).unwrap();
        assert!(matches!(keys.verify(&expired), Err(ApiError::Unauthorized)));
        let claims = Claims { sub: "7".into(), role: "admin".into(), iat: now, exp: now + 60 };
        let hs512 = encode(&Header::new(Algorithm::HS512), &claims, &keys.encoding).unwrap();
        assert!(matches!(keys.verify(&hs512), Err(ApiError::Unauthorized)));
        // alg "none": header {"alg":"none","typ":"JWT"}, no signature.
        let none =
            "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiI3Iiwicm9sZSI6ImFkbWluIiwiaWF0IjoxLCJleHAiOjk5OTk5OTk5OTl9.";
        assert!(matches!(keys.verify(none), Err(ApiError::Unauthorized)));
    }
}
