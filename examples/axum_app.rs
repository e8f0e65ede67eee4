//! The example application: every guard in one small axum service.
//!
//! ```sh
//! cargo run --example axum_app
//! ```
//!
//! Environment: `BIND` (default `127.0.0.1:3000`), `JWT_SECRET_KEY` (a development secret
//! otherwise, with a warning), `JWT_ACCESS_TOKEN_EXPIRES`, `JWT_REFRESH_TOKEN_EXPIRES`,
//! `JWT_TOKEN_LOCATION`, `JWT_COOKIE_CSRF_PROTECT`, `REDIS_URL` (revocations in Redis
//! instead of memory), `JWT_REFRESH_ROTATION` (`true` or an overlap in seconds: `/api/refresh`
//! then returns a new refresh token too, and a reused one revokes its whole login).
//!
//! One user is seeded: `admin` / `password123` (id `"1"`, an admin).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use bytes::Bytes;
use jwt_extended::store::MemoryStore;
use jwt_extended::{
    AnyJwtRequired, BoxError, CurrentUser, DecodedToken, FreshJwtRequired, JwtBodyLayer, JwtError,
    JwtManager, JwtRejection, JwtRequired, OptionalJwt, RefreshJwtRequired, RequireJwtLayer,
    UserLoader,
};
use serde::Deserialize;
use serde_json::{Value, json};

const DEV_SECRET: &str = "development-secret-change-me-0123456789abcdef";

#[derive(Clone)]
struct User {
    id: String,
    username: String,
    email: Option<String>,
    password_hash: String,
    is_admin: bool,
}

#[derive(Default)]
struct Users {
    /// Shared, so that loading the user on every guarded request costs no copy.
    by_id: HashMap<String, Arc<User>>,
    next_id: u64,
}

#[derive(Clone)]
struct AppState {
    manager: JwtManager,
    users: Arc<RwLock<Users>>,
    /// Hashed once at start, verified against for unknown usernames, so that login takes
    /// the same time whether or not the user exists.
    dummy_hash: Arc<str>,
    /// `JWT_REFRESH_ROTATION` is on: `/api/refresh` rotates refresh tokens.
    rotation: bool,
}

/// Loads the user of a verified token (the `user_lookup_loader`).
struct UserStore(Arc<RwLock<Users>>);

#[async_trait::async_trait]
impl UserLoader for UserStore {
    type User = Arc<User>;

    async fn load_user(&self, token: &DecodedToken) -> Result<Option<Arc<User>>, BoxError> {
        let users = self.0.read().map_err(|_| "user store poisoned")?;
        Ok(token.subject().and_then(|id| users.by_id.get(id).cloned()))
    }
}

fn hash_password(password: &str) -> Result<String, BoxError> {
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

fn msg(status: StatusCode, text: &str) -> Response {
    (status, Json(json!({ "msg": text }))).into_response()
}

#[derive(Deserialize)]
struct Credentials {
    username: Option<String>,
    password: Option<String>,
    email: Option<String>,
}

fn credentials(body: &Bytes) -> Option<(String, String, Option<String>)> {
    let c: Credentials = serde_json::from_slice(body).ok()?;
    match (c.username, c.password) {
        (Some(u), Some(p)) if !u.is_empty() && !p.is_empty() => Some((u, p, c.email)),
        _ => None,
    }
}

async fn register(State(state): State<AppState>, body: Bytes) -> Response {
    let Some((username, password, email)) = credentials(&body) else {
        return msg(StatusCode::BAD_REQUEST, "Username and password required");
    };
    let Ok(password_hash) = hash_password(&password) else {
        return msg(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Could not hash the password",
        );
    };
    let Ok(mut users) = state.users.write() else {
        return msg(StatusCode::SERVICE_UNAVAILABLE, "User store unavailable");
    };
    if users.by_id.values().any(|u| u.username == username) {
        return msg(StatusCode::CONFLICT, "Username already exists");
    }
    users.next_id += 1;
    let id = users.next_id.to_string();
    users.by_id.insert(
        id.clone(),
        Arc::new(User {
            id: id.clone(),
            username: username.clone(),
            email,
            password_hash,
            is_admin: false,
        }),
    );
    (
        StatusCode::CREATED,
        Json(json!({ "id": id, "username": username })),
    )
        .into_response()
}

/// Checks the credentials in `body`; the same time is spent whether or not the user exists.
fn authenticate(state: &AppState, body: &Bytes) -> Option<Arc<User>> {
    let (username, password, _) = credentials(body)?;
    let user = state.users.read().ok().and_then(|users| {
        users
            .by_id
            .values()
            .find(|u| u.username == username)
            .cloned()
    });
    let hash = user
        .as_ref()
        .map_or(&*state.dummy_hash, |u| u.password_hash.as_str());
    let valid = verify_password(&password, hash);
    user.filter(|_| valid)
}

/// A fresh access token and a refresh token issued as a pair, both carrying `is_admin`.
fn issue(manager: &JwtManager, user: &User) -> Result<(String, String), JwtError> {
    let pair = manager
        .token_pair(&user.id)
        .fresh(true)
        .claim("is_admin", user.is_admin)
        .create()?;
    Ok((pair.access_token, pair.refresh_token))
}

fn error(manager: &JwtManager, e: &JwtError) -> Response {
    manager.error_response(e).map(axum::body::Body::from)
}

async fn login(State(state): State<AppState>, body: Bytes) -> Response {
    let Some(user) = authenticate(&state, &body) else {
        return msg(StatusCode::UNAUTHORIZED, "Bad username or password");
    };
    match issue(&state.manager, &user) {
        Ok((access, refresh)) => {
            Json(json!({ "access_token": access, "refresh_token": refresh })).into_response()
        }
        Err(e) => error(&state.manager, &e),
    }
}

async fn login_cookies(State(state): State<AppState>, body: Bytes) -> Response {
    let Some(user) = authenticate(&state, &body) else {
        return msg(StatusCode::UNAUTHORIZED, "Bad username or password");
    };
    let manager = &state.manager;
    let cookies = issue(manager, &user).and_then(|(access, refresh)| {
        Ok(manager
            .access_cookies(&access)?
            .and(manager.refresh_cookies(&refresh)?))
    });
    match cookies {
        Ok(cookies) => (cookies, Json(json!({ "msg": "login ok" }))).into_response(),
        Err(e) => error(manager, &e),
    }
}

async fn logout_cookies(State(state): State<AppState>) -> Response {
    (
        state.manager.unset_jwt_cookies(),
        Json(json!({ "msg": "logout ok" })),
    )
        .into_response()
}

async fn refresh(State(state): State<AppState>, jwt: RefreshJwtRequired) -> Response {
    if state.rotation {
        // Rotation: the refresh token is consumed and replaced; reusing it revokes the family.
        return match state.manager.rotate_refresh_token(jwt.token()).await {
            Ok(pair) => Json(json!({
                "access_token": pair.access_token,
                "refresh_token": pair.refresh_token,
            }))
            .into_response(),
            Err(e) => error(&state.manager, &e),
        };
    }
    let is_admin = jwt
        .token()
        .claim("is_admin")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    match state
        .manager
        .access_token(jwt.identity())
        .claim("is_admin", is_admin)
        .create()
    {
        Ok(access) => Json(json!({ "access_token": access })).into_response(),
        Err(e) => error(&state.manager, &e),
    }
}

async fn logout(State(state): State<AppState>, jwt: AnyJwtRequired) -> Response {
    match state.manager.revoke_token(jwt.token()).await {
        Ok(()) => msg(StatusCode::OK, "Token revoked"),
        Err(e) => error(&state.manager, &e),
    }
}

async fn protected(jwt: JwtRequired) -> Json<Value> {
    Json(json!({ "logged_in_as": jwt.identity() }))
}

async fn me(_: JwtRequired, CurrentUser(user): CurrentUser<Arc<User>>) -> Json<Value> {
    Json(json!({ "id": user.id, "username": user.username, "email": user.email }))
}

async fn optional(jwt: OptionalJwt) -> Json<Value> {
    Json(json!({ "logged_in_as": jwt.identity() }))
}

async fn fresh(_: FreshJwtRequired) -> Json<Value> {
    Json(json!({ "msg": "fresh ok" }))
}

async fn admin(_: JwtRequired) -> Json<Value> {
    Json(json!({ "msg": "admin ok" }))
}

async fn delete_user(
    State(state): State<AppState>,
    Path(id): Path<String>,
    jwt: FreshJwtRequired,
) -> Result<Response, JwtRejection> {
    jwt.require(
        |t| t.claim("is_admin") == Some(&json!(true)) || t.subject() == Some(id.as_str()),
        "Admins only!",
    )?;
    let Ok(mut users) = state.users.write() else {
        return Ok(msg(
            StatusCode::SERVICE_UNAVAILABLE,
            "User store unavailable",
        ));
    };
    users.by_id.remove(&id);
    Ok(msg(StatusCode::OK, "deleted"))
}

async fn open() -> Json<Value> {
    Json(json!({ "ok": true }))
}

fn app(state: AppState) -> Router {
    let admins_only = RequireJwtLayer::access(&state.manager).require_claim(
        "is_admin",
        |v| v == Some(&json!(true)),
        "Admins only!",
    );
    Router::new()
        .route("/api/register", post(register))
        .route("/api/login", post(login))
        .route("/api/login/cookies", post(login_cookies))
        .route("/api/logout/cookies", post(logout_cookies))
        .route("/api/refresh", post(refresh))
        .route("/api/logout", post(logout))
        .route("/api/protected", get(protected))
        .route("/api/me", get(me))
        .route("/api/optional", get(optional))
        .route("/api/fresh", post(fresh))
        .route("/api/admin", delete(admin).route_layer(admins_only))
        .route("/api/users/{id}", delete(delete_user))
        .route("/open", get(open))
        // Reads JSON bodies once for the `json` token location; handlers still get them.
        .layer(JwtBodyLayer::new())
        .layer(state.manager.layer())
        .with_state(state)
}

/// glibc serves a large block with its own mapping, but after the first one is freed it
/// raises that threshold to the block's size, so argon2's 19 MiB blocks would then come from
/// the heap and stay in the process's memory once freed. A fixed threshold keeps every large
/// block a mapping of its own, returned to the system when freed: the server stays at a few
/// MB between logins instead of keeping 19 MiB per thread that hashed.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_large_blocks_to_the_system() {
    // SAFETY: mallopt only changes a parameter of the allocator (under its own lock).
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
    }
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    return_large_blocks_to_the_system();
    let bind = std::env::var("BIND").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let mut builder = JwtManager::builder().from_env()?;
    if std::env::var_os("JWT_SECRET_KEY").is_none() {
        eprintln!(
            "warning: JWT_SECRET_KEY is not set; using a development secret (never in production)"
        );
        builder = builder.secret(DEV_SECRET);
    }

    let users = Arc::new(RwLock::new(Users::default()));
    {
        let mut u = users.write().map_err(|_| "user store poisoned")?;
        u.next_id = 1;
        u.by_id.insert(
            "1".into(),
            Arc::new(User {
                id: "1".into(),
                username: "admin".into(),
                email: Some("admin@example.com".into()),
                password_hash: hash_password("password123")?,
                is_admin: true,
            }),
        );
    }
    builder = builder.user_loader(UserStore(users.clone()));
    builder = match std::env::var("REDIS_URL") {
        Ok(url) if !url.is_empty() => {
            let store = jwt_extended::store::RedisStore::builder(url.as_str())
                .build()
                .await?;
            builder.revocation_store(store)
        }
        _ => builder.revocation_store(MemoryStore::new()),
    };
    let manager = builder.build()?;
    let rotation = std::env::var("JWT_REFRESH_ROTATION")
        .is_ok_and(|v| !v.trim().is_empty() && !v.trim().eq_ignore_ascii_case("false"));
    let state = AppState {
        manager,
        users,
        dummy_hash: hash_password("not-a-real-password")?.into(),
        rotation,
    };

    let listener = tokio::net::TcpListener::bind(&bind).await?;
    println!("listening on {}", listener.local_addr()?);
    axum::serve(listener, app(state)).await?;
    Ok(())
}
