//! A small axum app under the guard, for the Redis store's fault tests: `GET /protected`,
//! `POST /refresh` (rotation), `POST /logout` (revokes the presented token).
#![allow(dead_code, unreachable_pub)]

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::routing::{get, post};
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use jwt_extended::{AnyJwtRequired, JwtManager, JwtRequired, RefreshJwtRequired};
use serde_json::{Value, json};
use tower::ServiceExt;

pub fn router(m: &JwtManager) -> Router {
    Router::new()
        .route(
            "/protected",
            get(|j: JwtRequired| async move { j.subject().unwrap_or_default().to_owned() }),
        )
        .route(
            "/refresh",
            post(
                |State(m): State<JwtManager>, j: RefreshJwtRequired| async move {
                    match m.rotate_refresh_token(j.token()).await {
                        Ok(pair) => (
                            StatusCode::OK,
                            axum::Json(json!({"refresh_token": pair.refresh_token})),
                        ),
                        Err(e) => (e.status(), axum::Json(json!({"msg": e.message()}))),
                    }
                },
            ),
        )
        .route(
            "/logout",
            post(
                |State(m): State<JwtManager>, j: AnyJwtRequired| async move {
                    m.revoke_token(j.token())
                        .await
                        .map(|_| "ok")
                        .map_err(|e| (e.status(), e.message().to_owned()))
                },
            ),
        )
        .with_state(m.clone())
        .layer(m.layer())
}

pub async fn send(app: &Router, method: &str, path: &str, token: &str) -> (StatusCode, Value) {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
    (status, body)
}

pub fn revoked() -> Value {
    json!({"msg": "Token has been revoked"})
}
