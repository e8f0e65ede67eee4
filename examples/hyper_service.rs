//! A plain hyper 1 + tower service (no axum) protected by jwt-extended.
//!
//! ```sh
//! cargo run --example hyper_service
//! curl -X POST localhost:3001/login                          # {"access_token": ...}
//! curl -H "Authorization: Bearer <token>" localhost:3001/protected
//! ```
//!
//! `BIND` sets the address (default `127.0.0.1:3001`); `JWT_SECRET_KEY` the secret;
//! `MAX_CONNECTIONS` the connection limit (default 512); `RUST_LOG` the log filter (default
//! `info`). Served as the axum example is: 5 s to send request headers (also the idle
//! timeout), request bodies capped at 64 KiB, 30 s to answer, graceful shutdown on
//! SIGINT/SIGTERM (see `examples/common/serve.rs`).

#[path = "common/runtime.rs"]
mod runtime;
#[path = "common/serve.rs"]
mod serve;

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::service::TowerToHyperService;
use jwt_extended::{
    BoxError, JwtLayer, JwtManager, JwtRejection, JwtRequired, OptionalJwt, RequireJwtLayer,
};
use serde_json::json;
use tower::{ServiceBuilder, ServiceExt};
use tower_http::body::Limited;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

type Body = BoxBody<Bytes, Infallible>;

/// Request bodies, capped by `RequestBodyLimitLayer` (a route that reads one past the cap
/// gets an error; a larger `Content-Length` is answered 413 before any route runs).
type RequestBody = Limited<Incoming>;

fn json(status: StatusCode, value: serde_json::Value) -> Response<Body> {
    let mut res = Response::new(Full::new(Bytes::from(value.to_string())).boxed());
    *res.status_mut() = status;
    res.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    res
}

/// Behind `RequireJwtLayer`: the guard already ran, and its value is in the extensions.
async fn protected(req: Request<RequestBody>) -> Result<Response<Full<Bytes>>, Infallible> {
    let who = req
        .extensions()
        .get::<JwtRequired>()
        .map(JwtRequired::identity);
    let body = json!({ "logged_in_as": who }).to_string();
    Ok(Response::new(Full::new(Bytes::from(body))))
}

/// The function form of a guard: `?` answers a rejection (the caller turns it into the
/// response with `Response::from`).
async fn optional(mut req: Request<RequestBody>) -> Result<Response<Body>, JwtRejection> {
    let jwt = OptionalJwt::from_request(&mut req).await?;
    Ok(json(
        StatusCode::OK,
        json!({ "logged_in_as": jwt.identity() }),
    ))
}

async fn route(
    manager: JwtManager,
    req: Request<RequestBody>,
) -> Result<Response<Body>, Infallible> {
    Ok(match (req.method().clone(), req.uri().path()) {
        // The route-layer form: the request reaches `protected` only with a valid token.
        (_, "/protected") => {
            let guarded = ServiceBuilder::new()
                .layer(RequireJwtLayer::access(&manager))
                .service_fn(protected);
            let res = guarded.oneshot(req).await?;
            res.map(BodyExt::boxed)
        }
        // The function form of a guard.
        (Method::GET, "/optional") => optional(req).await.unwrap_or_else(|rejection| {
            Response::<Full<Bytes>>::from(rejection).map(BodyExt::boxed)
        }),
        (Method::POST, "/login") => match manager.access_token("demo").fresh(true).create() {
            Ok(token) => json(StatusCode::OK, json!({ "access_token": token })),
            Err(e) => manager.error_response(&e).map(BodyExt::boxed),
        },
        (Method::GET, "/open") => json(StatusCode::OK, json!({ "ok": true })),
        _ => json(StatusCode::NOT_FOUND, json!({ "msg": "Not found" })),
    })
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    runtime::init_tracing();
    let shutdown = runtime::shutdown_signal();
    let bind = std::env::var("BIND").unwrap_or_else(|_| "127.0.0.1:3001".into());
    let limits = serve::Limits::from_env()?;
    let secret = match std::env::var("JWT_SECRET_KEY") {
        Ok(secret) => secret,
        Err(_) => {
            tracing::warn!(
                "JWT_SECRET_KEY is not set; using a development secret (never in production)"
            );
            "development-secret-change-me-0123456789abcdef".into()
        }
    };
    let manager = JwtManager::builder().secret(secret).build()?;
    let svc = ServiceBuilder::new()
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .map_response(|res: Response<_>| res.map(BodyExt::boxed))
        .layer(RequestBodyLimitLayer::new(64 * 1024))
        .layer(JwtLayer::new(manager.clone()))
        .service_fn(move |req| route(manager.clone(), req));

    let listener = tokio::net::TcpListener::bind(&bind).await?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "listening");
    println!("listening on {addr}");
    serve::serve(listener, TowerToHyperService::new(svc), limits, shutdown).await;
    Ok(())
}
