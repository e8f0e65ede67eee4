//! A plain hyper 1 + tower service (no axum) protected by jwt-extended.
//!
//! ```sh
//! cargo run --example hyper_service
//! curl -X POST localhost:3001/login                          # {"access_token": ...}
//! curl -H "Authorization: Bearer <token>" localhost:3001/protected
//! ```
//!
//! `BIND` sets the address (default `127.0.0.1:3001`); `JWT_SECRET_KEY` the secret.

use std::convert::Infallible;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use jwt_extended::{
    BoxError, JwtLayer, JwtManager, JwtRequired, NoClaims, OptionalJwt, RequireJwtLayer,
};
use serde_json::json;
use tower::{ServiceBuilder, ServiceExt};

type Body = BoxBody<Bytes, Infallible>;

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
async fn protected(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let who = req
        .extensions()
        .get::<JwtRequired>()
        .map(|jwt| jwt.identity().clone());
    let body = json!({ "logged_in_as": who }).to_string();
    Ok(Response::new(Full::new(Bytes::from(body))))
}

async fn route(
    manager: JwtManager,
    mut req: Request<Incoming>,
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
        (Method::GET, "/optional") => match OptionalJwt::<NoClaims>::from_request(&mut req).await {
            Ok(jwt) => json(StatusCode::OK, json!({ "logged_in_as": jwt.identity() })),
            Err(rejection) => rejection.into_response().map(|b| Full::new(b).boxed()),
        },
        (Method::POST, "/login") => match manager.access_token("demo").fresh(true).create() {
            Ok(token) => json(StatusCode::OK, json!({ "access_token": token })),
            Err(e) => manager.error_response(&e).map(|b| Full::new(b).boxed()),
        },
        (Method::GET, "/open") => json(StatusCode::OK, json!({ "ok": true })),
        _ => json(StatusCode::NOT_FOUND, json!({ "msg": "Not found" })),
    })
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let bind = std::env::var("BIND").unwrap_or_else(|_| "127.0.0.1:3001".into());
    let secret = std::env::var("JWT_SECRET_KEY")
        .unwrap_or_else(|_| "development-secret-change-me-0123456789abcdef".into());
    let manager = JwtManager::builder().secret(secret).build()?;
    let svc = ServiceBuilder::new()
        .layer(JwtLayer::new(manager.clone()))
        .service_fn(move |req| route(manager.clone(), req));

    let listener = tokio::net::TcpListener::bind(&bind).await?;
    println!("listening on {}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        let svc = TowerToHyperService::new(svc.clone());
        tokio::spawn(async move {
            let _ = auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}
