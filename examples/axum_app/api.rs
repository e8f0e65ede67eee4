//! The guarded API: one route per kind of guard, and the open baseline route.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use jwt_extended::{
    CurrentUser, FreshJwtRequired, JwtManager, JwtRejection, JwtRequired, OptionalJwt,
    RequireJwtLayer,
};
use serde_json::{Value, json};

use crate::users::User;
use crate::{AppState, msg};

pub fn routes(manager: &JwtManager) -> Router<AppState> {
    let admins_only = RequireJwtLayer::access(manager).require_claim(
        "is_admin",
        |v| v == Some(&json!(true)),
        "Admins only!",
    );
    Router::new()
        .route("/api/protected", get(protected))
        .route("/api/me", get(me))
        .route("/api/optional", get(optional))
        .route("/api/fresh", post(fresh))
        .route("/api/admin", delete(admin).route_layer(admins_only))
        .route("/api/users/{id}", delete(delete_user))
        .route("/open", get(open))
        // The public keys of the app's own tokens (none with an HMAC secret).
        .route_service("/.well-known/jwks.json", manager.jwks_service())
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
