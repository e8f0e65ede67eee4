//! The users: an in-memory table, the user loader the guards use, and password hashing,
//! which runs on a bounded blocking pool rather than on the async workers.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::Json;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use jwt_extended::{BoxError, DecodedToken, UserLoader};
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::Semaphore;

use crate::msg;

/// Longest accepted username, in bytes.
pub const MAX_USERNAME_LEN: usize = 64;
/// Longest accepted password, in bytes.
pub const MAX_PASSWORD_LEN: usize = 128;
/// Longest accepted email address, in bytes.
pub const MAX_EMAIL_LEN: usize = 254;

#[derive(Clone)]
pub struct User {
    pub id: String,
    pub username: String,
    pub email: Option<String>,
    pub password_hash: String,
    pub is_admin: bool,
}

#[derive(Default)]
pub struct Users {
    /// Shared, so that loading the user on every guarded request costs no copy.
    pub by_id: HashMap<String, Arc<User>>,
    pub next_id: u64,
}

impl Users {
    pub fn by_username(&self, username: &str) -> Option<Arc<User>> {
        self.by_id
            .values()
            .find(|u| u.username == username)
            .cloned()
    }
}

/// Loads the user of a verified token (the `user_lookup_loader`); the users of the OIDC
/// issuer (`JWT_OIDC_ISSUER`, the second field) come from their token's claims.
pub struct UserStore(pub Arc<RwLock<Users>>, pub Option<String>);

#[jwt_extended::async_trait]
impl UserLoader for UserStore {
    type User = Arc<User>;

    async fn load_user(&self, token: &DecodedToken) -> Result<Option<Arc<User>>, BoxError> {
        // The OIDC issuer's users live there, not in this store.
        let iss = token.claim("iss").and_then(Value::as_str);
        if iss.is_some() && iss == self.1.as_deref() {
            let claim = |name: &str| token.claim(name).and_then(Value::as_str).map(String::from);
            return Ok(token.subject().map(|sub| {
                Arc::new(User {
                    id: sub.to_owned(),
                    username: claim("preferred_username").unwrap_or_else(|| sub.to_owned()),
                    email: claim("email"),
                    password_hash: String::new(),
                    is_admin: false,
                })
            }));
        }
        let users = self.0.read().map_err(|_| "user store poisoned")?;
        Ok(token.subject().and_then(|id| users.by_id.get(id).cloned()))
    }
}

/// Hashes with argon2 (its default parameters: 19 MiB, 2 passes). Blocking: call it through
/// a [`Hasher`] once the server runs.
pub fn hash_password(password: &str) -> Result<String, BoxError> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| e.to_string())?
        .to_string())
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// All hashing slots stayed taken for this long: answer 503 rather than queue without end.
const QUEUE_WAIT: Duration = Duration::from_secs(5);

/// Runs password hashing on tokio's blocking pool, at most `slots` hashes at once.
///
/// An argon2 hash takes tens of milliseconds of CPU. On the async workers, a handful of
/// concurrent logins would stall every other request; here they queue for a slot while the
/// workers keep serving. The default leaves one CPU to the workers.
#[derive(Clone)]
pub struct Hasher {
    slots: Arc<Semaphore>,
}

/// Every hashing slot stayed taken for too long (or a hash failed to run): 503.
pub struct Busy;

impl IntoResponse for Busy {
    fn into_response(self) -> Response {
        let mut res = msg(StatusCode::SERVICE_UNAVAILABLE, "Server busy, try again");
        res.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from_static("1"),
        );
        res
    }
}

impl Hasher {
    /// One slot per CPU but one (at least one slot).
    pub fn new() -> Self {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self {
            slots: Arc::new(Semaphore::new(cpus.saturating_sub(1).max(1))),
        }
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Busy> {
        let slot = tokio::time::timeout(QUEUE_WAIT, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| Busy)?
            .map_err(|_| Busy)?;
        tokio::task::spawn_blocking(move || {
            let _slot = slot;
            work()
        })
        .await
        .map_err(|_| Busy)
    }

    /// Hashes `password` for storage.
    pub async fn hash(&self, password: String) -> Result<Result<String, BoxError>, Busy> {
        self.run(move || hash_password(&password)).await
    }

    /// Whether `password` matches `user`'s hash; with no user, the same work is done against
    /// `dummy_hash` (and `false` returned), so that login takes the same time whether or not
    /// the username exists.
    pub async fn verify(
        &self,
        password: String,
        user: Option<Arc<User>>,
        dummy_hash: Arc<str>,
    ) -> Result<Option<Arc<User>>, Busy> {
        self.run(move || {
            let hash = user
                .as_ref()
                .map_or(&*dummy_hash, |u| u.password_hash.as_str());
            let valid = verify_password(&password, hash);
            user.filter(|_| valid)
        })
        .await
    }
}

#[derive(Deserialize)]
struct Credentials {
    username: Option<String>,
    password: Option<String>,
    email: Option<String>,
}

/// Username, password and optional email, each present and within its length cap.
pub struct ValidCredentials {
    pub username: String,
    pub password: String,
    pub email: Option<String>,
}

/// Why a credentials body was refused.
pub enum BadCredentials {
    /// Over the body limit: 413.
    TooLarge,
    /// Not JSON (by content type or content), or a field missing or empty.
    Missing,
    /// A field over its length cap: 400.
    TooLong,
}

impl BadCredentials {
    /// The answer, with `missing` for a body without usable credentials.
    pub fn into_response(self, missing: Response) -> Response {
        match self {
            Self::TooLarge => msg(StatusCode::PAYLOAD_TOO_LARGE, "Request body too large"),
            Self::Missing => missing,
            Self::TooLong => msg(
                StatusCode::BAD_REQUEST,
                "Username, password or email too long",
            ),
        }
    }
}

/// A request body as the login and register routes take it: read whole (so a body over the
/// cap is 413 whatever its content type), then parsed only if it is JSON.
pub type Body = Result<Bytes, BytesRejection>;

/// `application/json`, or an `application/*+json` type, with any parameters.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(essence) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
    else {
        return false;
    };
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Checks a body for credentials: JSON by content type and by content, each field present
/// and within its length cap.
pub fn credentials(headers: &HeaderMap, body: Body) -> Result<ValidCredentials, BadCredentials> {
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            BadCredentials::TooLarge
        } else {
            BadCredentials::Missing
        }
    })?;
    if !is_json(headers) {
        return Err(BadCredentials::Missing);
    }
    let Json(c) = Json::<Credentials>::from_bytes(&body).map_err(|_| BadCredentials::Missing)?;
    let (Some(username), Some(password)) = (c.username, c.password) else {
        return Err(BadCredentials::Missing);
    };
    if username.is_empty() || password.is_empty() {
        return Err(BadCredentials::Missing);
    }
    if username.len() > MAX_USERNAME_LEN
        || password.len() > MAX_PASSWORD_LEN
        || c.email.as_ref().is_some_and(|e| e.len() > MAX_EMAIL_LEN)
    {
        return Err(BadCredentials::TooLong);
    }
    Ok(ValidCredentials {
        username,
        password,
        email: c.email,
    })
}
