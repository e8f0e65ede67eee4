//! The application under attack and the helpers that send to it.
#![allow(dead_code)]

use axum::Router;
use axum::body::Body;
use axum::routing::{any, get, post};
use http::{HeaderValue, Method, Request, StatusCode};
use http_body_util::BodyExt;
use jwt_extended::{
    AnyJwtRequired, FreshJwtRequired, JwtManager, JwtRequired, OptionalJwt, RefreshJwtRequired,
    RequireJwtLayer,
};
use serde_json::{Value, json};
use tower::ServiceExt;

pub use crate::common::*;

pub const MISSING_TYPE: &str =
    "Missing 'Bearer' type in 'Authorization' header. Expected 'Authorization: Bearer <JWT>'";
pub const BAD_HEADER: &str = "Bad Authorization header. Expected 'Authorization: Bearer <JWT>'";
pub const ALG_NOT_ALLOWED: &str = "The specified alg value is not allowed";
pub const SIG_FAILED: &str = "Signature verification failed";

/// The routes every case attacks: the guards as extractors, and one route guarded by a
/// `RequireJwtLayer` (the tower form).
pub fn app(manager: &JwtManager) -> Router {
    Router::new()
        .route(
            "/protected",
            get(whoami)
                .post(whoami)
                .put(whoami)
                .patch(whoami)
                .delete(whoami),
        )
        .route("/any-method", any(whoami))
        .route(
            "/fresh",
            get(|j: FreshJwtRequired| async move { axum::Json(json!({ "sub": j.identity() })) }),
        )
        .route(
            "/refresh",
            post(|j: RefreshJwtRequired| async move { axum::Json(json!({ "sub": j.identity() })) }),
        )
        .route(
            "/any",
            get(|j: AnyJwtRequired| async move { axum::Json(json!({ "sub": j.identity() })) }),
        )
        .route(
            "/optional",
            get(|j: OptionalJwt| async move { axum::Json(json!({ "sub": j.identity() })) })
                .post(|j: OptionalJwt| async move { axum::Json(json!({ "sub": j.identity() })) }),
        )
        .route(
            "/layered",
            get(layered)
                .options(layered)
                .route_layer(RequireJwtLayer::optional(manager)),
        )
        .layer(manager.layer())
}

async fn whoami(jwt: JwtRequired) -> axum::Json<Value> {
    axum::Json(json!({ "sub": jwt.identity(), "location": jwt.location().as_str() }))
}

async fn layered(req: Request<Body>) -> axum::Json<Value> {
    let sub = req
        .extensions()
        .get::<OptionalJwt>()
        .and_then(|j| j.identity().map(serde_json::Value::from));
    axum::Json(json!({ "sub": sub, "method": req.method().as_str() }))
}

/// A response as the battery sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
    pub www_authenticate: Option<String>,
}

impl Answer {
    /// `(status, msg)` of an error answer.
    pub fn msg(&self) -> (u16, &str) {
        (
            self.status.as_u16(),
            self.body["msg"].as_str().unwrap_or("<no msg>"),
        )
    }

    /// `(status, sub)` of a success.
    pub fn sub(&self) -> (u16, Value) {
        (self.status.as_u16(), self.body["sub"].clone())
    }
}

/// Sends `req` through the application and checks the invariants every answer keeps:
/// client input never gives a 5xx (unless `allow_5xx`), and the body never contains any
/// long piece of `secrets` (the token's segments, CSRF values, claims).
pub async fn send_checked(
    app: &Router,
    req: Request<Body>,
    secrets: &[&str],
    allow_5xx: bool,
) -> Answer {
    let res = app.clone().oneshot(req).await.expect("infallible");
    let status = res.status();
    let www_authenticate = res
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    if !allow_5xx {
        assert!(
            !status.is_server_error(),
            "client input gave {status}: {text}"
        );
    }
    if status.is_client_error() || status.is_server_error() {
        for secret in secrets {
            for piece in pieces(secret) {
                assert!(
                    !text.contains(piece),
                    "the error body echoes {piece:?}: {text}"
                );
            }
        }
    }
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::String(text));
    Answer {
        status,
        body,
        www_authenticate,
    }
}

/// The parts of a secret that must never be echoed: its dot-separated segments of eight
/// characters or more.
fn pieces(secret: &str) -> impl Iterator<Item = &str> {
    secret.split('.').filter(|p| p.len() >= 8)
}

/// Sends `req`, which carries `token` somewhere.
pub async fn send_with(app: &Router, req: Request<Body>, token: &str) -> Answer {
    send_checked(app, req, &[token], false).await
}

/// `GET path` with `Authorization: Bearer <token>`.
pub fn bearer_get(path: &str, token: &str) -> Request<Body> {
    request(Method::GET, path)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap()
}

/// A request builder for `method path`.
pub fn request(method: Method, path: &str) -> http::request::Builder {
    Request::builder().method(method).uri(path)
}

/// `GET path` with one `Authorization` header of raw bytes.
pub fn raw_auth(path: &str, value: &[u8]) -> Request<Body> {
    request(Method::GET, path)
        .header("authorization", HeaderValue::from_bytes(value).unwrap())
        .body(Body::empty())
        .unwrap()
}

/// Sends `token` as a bearer token to `/protected`.
pub async fn bearer(app: &Router, token: &str) -> Answer {
    send_with(app, bearer_get("/protected", token), token).await
}

/// Asserts that `token`, sent as a bearer token to `/protected`, gets `status` and `msg`.
#[track_caller]
pub fn expect(answer: &Answer, status: u16, msg: &str) {
    assert_eq!(answer.msg(), (status, msg), "{answer:?}");
}

/// Sends `token` to `/protected` and asserts the error.
pub async fn rejects(app: &Router, token: &str, status: u16, msg: &str) {
    let answer = bearer(app, token).await;
    assert_eq!(answer.msg(), (status, msg), "token {token}");
    if status == 401 {
        assert_eq!(answer.www_authenticate.as_deref(), Some("Bearer"));
    }
}

/// Sends `token` to `/protected` and asserts it is accepted for `sub`.
pub async fn accepts(app: &Router, token: &str, sub: &str) {
    let answer = bearer(app, token).await;
    assert_eq!(answer.sub(), (200, json!(sub)), "token {token}: {answer:?}");
}

/// Signs raw header and payload bytes (not necessarily UTF-8 or JSON) with HMAC.
pub fn sign_bytes(
    header: &[u8],
    payload: &[u8],
    secret: &[u8],
    alg: jsonwebtoken::Algorithm,
) -> String {
    let input = format!("{}.{}", b64(header), b64(payload));
    let key = jsonwebtoken::EncodingKey::from_secret(secret);
    let sig = jsonwebtoken::crypto::sign(input.as_bytes(), &key, alg).expect("sign");
    format!("{input}.{sig}")
}

/// Signs raw header and payload text with a PEM private key.
pub fn sign_pem(
    header: &str,
    payload: &str,
    private_pem: &str,
    alg: jsonwebtoken::Algorithm,
) -> String {
    let input = format!("{}.{}", b64(header), b64(payload));
    let key = match alg {
        jsonwebtoken::Algorithm::ES256 | jsonwebtoken::Algorithm::ES384 => {
            jsonwebtoken::EncodingKey::from_ec_pem(private_pem.as_bytes())
        }
        jsonwebtoken::Algorithm::EdDSA => {
            jsonwebtoken::EncodingKey::from_ed_pem(private_pem.as_bytes())
        }
        _ => jsonwebtoken::EncodingKey::from_rsa_pem(private_pem.as_bytes()),
    }
    .expect("private key");
    let sig = jsonwebtoken::crypto::sign(input.as_bytes(), &key, alg).expect("sign");
    format!("{input}.{sig}")
}

/// Valid access-token claims at [`NOW`], for crafted tokens.
pub fn claims() -> Value {
    json!({
        "fresh": false,
        "iat": NOW,
        "jti": "0b9e1e6c-2c61-4c7e-9a57-5a3f2b0c9d11",
        "type": "access",
        "sub": "alice",
        "nbf": NOW,
        "exp": NOW + 900,
    })
}

/// [`claims`] with `key` set to `value`.
pub fn claims_with(key: &str, value: Value) -> Value {
    let mut c = claims();
    c[key] = value;
    c
}

/// [`claims`] without `key`.
pub fn claims_without(key: &str) -> Value {
    let mut c = claims();
    c.as_object_mut().unwrap().remove(key);
    c
}

/// A PEM fixture.
pub fn pem(name: &str) -> String {
    fixture(&format!("keys/{name}.pem"))
}

/// An ES256 manager with our P-256 key pair.
pub fn es256_manager(clock: &jwt_extended::clock::MockClock) -> jwt_extended::JwtManagerBuilder {
    JwtManager::builder()
        .algorithm(jwt_extended::Algorithm::ES256)
        .private_key_pem(pem("ec256_private"))
        .public_key_pem(pem("ec256_public"))
        .clock(clock.clone())
}

/// An RS256 manager with our RSA key pair.
pub fn rs256_manager(clock: &jwt_extended::clock::MockClock) -> jwt_extended::JwtManagerBuilder {
    JwtManager::builder()
        .algorithm(jwt_extended::Algorithm::RS256)
        .private_key_pem(pem("rsa_private"))
        .public_key_pem(pem("rsa_public"))
        .clock(clock.clone())
}

/// The three segments of a compact token.
pub fn segments(token: &str) -> (&str, &str, &str) {
    let mut it = token.split('.');
    let s = (it.next().unwrap(), it.next().unwrap(), it.next().unwrap());
    assert!(it.next().is_none());
    s
}
