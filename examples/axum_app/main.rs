//! The example application: every guard in one small axum service, served the way
//! production needs it.
//!
//! ```sh
//! cargo run --example axum_app          # then open http://127.0.0.1:3000/ for the cookie demo
//! ```
//!
//! Environment: `BIND` (default `127.0.0.1:3000`), `JWT_SECRET_KEY` (a development secret
//! otherwise, with a warning), `JWT_ACCESS_TOKEN_EXPIRES`, `JWT_REFRESH_TOKEN_EXPIRES`,
//! `JWT_TOKEN_LOCATION`, `JWT_COOKIE_CSRF_PROTECT` and the other `JWT_*` cookie settings,
//! `REDIS_URL` (revocations in Redis instead of memory; or `REDIS_SENTINELS` and
//! `REDIS_SENTINEL_MASTER` to follow a Sentinel-managed primary; `REDIS_LOCAL_CACHE_MS` for
//! a local view of revocations; `REDIS_TIMEOUT_MS`, how long a Redis call may take before
//! the request is refused with 503, default 250), `JWT_REFRESH_ROTATION` (`true` or
//! an overlap in seconds: `/api/refresh` then returns a new refresh token too, and a reused
//! one revokes its whole login), `MAX_CONNECTIONS` (default 512), `RUST_LOG` (default
//! `info`), `JWT_ERROR_STYLE` (`flask`, or `rfc6750` for `WWW-Authenticate` challenges and
//! 403 `insufficient_scope`), `JWT_ALGORITHM` with `JWT_PRIVATE_KEY` and `JWT_PUBLIC_KEY` (PEM text) for an
//! asymmetric key, whose public half `GET /.well-known/jwks.json` publishes, and
//! `JWT_OIDC_ISSUER` with `JWT_OIDC_AUDIENCE`: an OpenID Connect issuer whose access tokens
//! every guarded route accepts too (keys found by discovery, re-fetched at most every 10 s
//! for a new `kid`).
//!
//! One user is seeded: `admin` / `password123` (id `"1"`, an admin).
//!
//! The modules: `auth` (register, login, refresh, logout), `api` (the guarded routes),
//! `items` (`/api/items`, guarded by OAuth scopes), `ops` (`/metrics` and `/openapi.json`),
//! `demo` (`GET /`, the cookie flow in a browser), `users` (the user table and password
//! hashing); serving (timeouts, connection limit, graceful shutdown) is in
//! `examples/common/serve.rs`. A new group of routes is a module with a `routes()` merged
//! in [`app`].
//!
//! # Production notes
//!
//! - Password hashing runs on the blocking pool, a bounded number at once: a flood of logins
//!   queues (then gets 503) instead of stalling every other route.
//! - Request headers must arrive within 5 s, which also closes idle keep-alive
//!   connections; at most `MAX_CONNECTIONS` are open; a request has 30 s to be answered
//!   (408 otherwise); every body is capped at 64 KiB, whatever its content type (413);
//!   usernames, passwords and emails are length-capped (400); only `application/json`
//!   bodies are parsed as JSON. SIGINT/SIGTERM stop accepting and drain requests in flight.
//! - Cookies: serve over HTTPS with `JWT_COOKIE_SECURE=true` and `__Host-` cookie names
//!   (`JWT_ACCESS_COOKIE_NAME=__Host-access_token`, `JWT_REFRESH_COOKIE_NAME=__Host-refresh_token`,
//!   `JWT_ACCESS_CSRF_COOKIE_NAME=__Host-csrf_access_token`,
//!   `JWT_REFRESH_CSRF_COOKIE_NAME=__Host-csrf_refresh_token`, all paths `/`). Browsers send
//!   longer-`Path` cookies first and the first one is read, so a plain cookie tossed from a
//!   sibling subdomain would win; a `__Host-` cookie can only be set by this host.

mod api;
mod auth;
mod demo;
mod items;
mod ops;
mod users;

#[path = "../common/runtime.rs"]
mod runtime;
#[path = "../common/serve.rs"]
mod serve;

use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use hyper_util::service::TowerToHyperService;
use jwt_extended::store::MemoryStore;
use jwt_extended::{BoxError, ErrorStyle, JwtBodyLayer, JwtError, JwtManager};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use serde_json::json;
use tower::ServiceBuilder;
use tower_http::body::Limited;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

use crate::users::{Hasher, User, UserStore, Users, hash_password};

const DEV_SECRET: &str = "development-secret-change-me-0123456789abcdef";

/// Every request body is capped at this size, whatever its content type.
const BODY_LIMIT: usize = 64 * 1024;

/// A request not answered within this time gets 408.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Clone)]
struct AppState {
    manager: JwtManager,
    users: Arc<RwLock<Users>>,
    hasher: Hasher,
    /// Hashed once at start, verified against for unknown usernames, so that login takes
    /// the same time whether or not the user exists.
    dummy_hash: Arc<str>,
    /// `JWT_REFRESH_ROTATION` is on: `/api/refresh` rotates refresh tokens.
    rotation: bool,
    /// `JWT_REFRESH_COOKIE_NAME`: cookie logout revokes the token in it.
    refresh_cookie_name: Arc<str>,
    /// The items of `/api/items`.
    items: Arc<RwLock<Vec<String>>>,
    /// Renders the metrics for `/metrics`.
    metrics: PrometheusHandle,
    /// The OpenAPI document, rendered once.
    openapi: Arc<str>,
}

fn msg(status: StatusCode, text: &str) -> Response {
    (status, Json(json!({ "msg": text }))).into_response()
}

/// The answer for `e`. A failure on the server's side (503: the revocation store did not
/// answer; 500) is logged with its cause, which is this application's own store's message,
/// never request data.
fn error(manager: &JwtManager, e: &JwtError) -> Response {
    if e.status().is_server_error() {
        let cause = std::error::Error::source(e).map(tracing::field::display);
        tracing::warn!(status = e.status().as_u16(), cause, "{e}");
    }
    manager.error_response(e).into_response()
}

/// The routes and the layers every request goes through.
fn app(state: AppState) -> Router {
    // One stack, applied once: each `Router::layer` call wraps every route in a boxed,
    // cloned-per-request service of its own, so five calls cost five boxes per request.
    let layers = ServiceBuilder::new()
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        // The timeout answers 408 with an empty body of the inner service's body type.
        .map_response(IntoResponse::into_response)
        // Every body, whatever its content type: a larger `Content-Length` is answered 413
        // at once, a longer streamed body fails the handler's read (413).
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .map_request(|req: Request<Limited<Body>>| req.map(Body::new))
        // The extractors' own limit, set to the same cap (their default is 2 MB).
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(state.manager.layer())
        // Reads JSON bodies once for the `json` token location; handlers still get them.
        .layer(JwtBodyLayer::new());
    Router::new()
        .merge(auth::routes())
        .merge(api::routes(&state.manager))
        .merge(items::routes())
        .merge(ops::routes())
        .merge(demo::routes())
        .layer(layers)
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
    runtime::init_tracing();
    let shutdown = runtime::shutdown_signal();
    let bind = std::env::var("BIND").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let limits = serve::Limits::from_env()?;
    // The metrics recorder, without its own HTTP listener: `/metrics` renders it. Installed
    // before the first request, so the crate's hot-path counters use registered handles.
    let metrics = PrometheusBuilder::new().install_recorder()?;
    #[cfg(feature = "metrics")]
    jwt_extended::telemetry::describe_metrics();
    let mut builder = JwtManager::builder().from_env()?;
    builder = match std::env::var("JWT_ERROR_STYLE").as_deref() {
        Ok("rfc6750") => builder.error_style(ErrorStyle::Rfc6750),
        Ok("flask") | Err(_) => builder,
        Ok(other) => return Err(format!("JWT_ERROR_STYLE: unknown style {other:?}").into()),
    };
    let asymmetric = std::env::var("JWT_ALGORITHM").is_ok_and(|a| !a.trim().starts_with("HS"));
    if !asymmetric && std::env::var_os("JWT_SECRET_KEY").is_none() {
        tracing::warn!(
            "JWT_SECRET_KEY is not set; using a development secret (never in production)"
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
    let oidc_issuer = std::env::var("JWT_OIDC_ISSUER").ok();
    builder = builder.user_loader(UserStore(users.clone(), oidc_issuer));
    builder = match redis_store().await? {
        Some(store) => builder.revocation_store(store),
        None => builder.revocation_store(MemoryStore::new()),
    };
    let manager = builder.build()?;
    let rotation = std::env::var("JWT_REFRESH_ROTATION")
        .is_ok_and(|v| !v.trim().is_empty() && !v.trim().eq_ignore_ascii_case("false"));
    let refresh_cookie_name =
        std::env::var("JWT_REFRESH_COOKIE_NAME").unwrap_or_else(|_| "refresh_token_cookie".into());
    let state = AppState {
        items: Arc::new(RwLock::new(Vec::new())),
        metrics,
        openapi: serde_json::to_string(&ops::openapi_document(&manager))?.into(),
        manager,
        users,
        hasher: Hasher::new(),
        dummy_hash: hash_password("not-a-real-password")?.into(),
        rotation,
        refresh_cookie_name: refresh_cookie_name.into(),
    };

    let listener = tokio::net::TcpListener::bind(&bind).await?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "listening");
    println!("listening on {addr}");
    serve::serve(
        listener,
        TowerToHyperService::new(app(state)),
        limits,
        shutdown,
    )
    .await;
    Ok(())
}

/// The Redis store the environment asks for, if any: `REDIS_SENTINELS` (comma list of
/// `host:port`, with `REDIS_SENTINEL_MASTER`, default `mymaster`) or `REDIS_URL`; with
/// `REDIS_LOCAL_CACHE_MS`, a local view of revocations trusted for at most that long
/// without word from Redis; with `REDIS_TIMEOUT_MS`, the time a call to Redis may take
/// (default [`RedisStore::DEFAULT_TIMEOUT`](jwt_extended::store::RedisStore::DEFAULT_TIMEOUT)).
async fn redis_store() -> Result<Option<jwt_extended::store::RedisStore>, BoxError> {
    use jwt_extended::store::RedisStore;
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let builder = match (var("REDIS_SENTINELS"), var("REDIS_URL")) {
        (Some(sentinels), _) => RedisStore::sentinel_builder(
            sentinels.split(',').map(|s| s.trim().to_owned()),
            var("REDIS_SENTINEL_MASTER").unwrap_or_else(|| "mymaster".to_owned()),
        ),
        (None, Some(url)) => RedisStore::builder(url),
        (None, None) => return Ok(None),
    };
    let millis = |name: &str| -> Result<Option<std::time::Duration>, BoxError> {
        var(name)
            .map(|ms| {
                ms.trim()
                    .parse()
                    .map(std::time::Duration::from_millis)
                    .map_err(|_| format!("{name} must be a number of milliseconds").into())
            })
            .transpose()
    };
    let builder = match millis("REDIS_LOCAL_CACHE_MS")? {
        Some(staleness) => builder.local_cache(staleness),
        None => builder,
    };
    let builder = match millis("REDIS_TIMEOUT_MS")? {
        Some(timeout) => builder.timeout(timeout),
        None => builder,
    };
    Ok(Some(builder.build().await?))
}
