//! The guarded API: one route per kind of guard, and the open baseline route.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use jwt_extended::{
    CurrentUser, FreshJwtRequired, IdentityRef, JwtManager, JwtRejection, JwtRequired, OptionalJwt,
    RequireJwtLayer,
};
use serde::Serialize;
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

/// `{"logged_in_as": <identity>}`, written straight from the token's identity: no map and
/// no copy of the identity per request (these routes answer every authenticated call).
#[derive(Serialize)]
struct LoggedInAs<'a> {
    logged_in_as: Option<IdentityRef<'a>>,
}

async fn protected(jwt: JwtRequired) -> Response {
    let answer = LoggedInAs {
        logged_in_as: Some(jwt.identity()),
    };
    Json(answer).into_response()
}

async fn me(_: JwtRequired, CurrentUser(user): CurrentUser<Arc<User>>) -> Json<Value> {
    Json(json!({ "id": user.id, "username": user.username, "email": user.email }))
}

async fn optional(jwt: OptionalJwt) -> Response {
    let answer = LoggedInAs {
        logged_in_as: jwt.identity(),
    };
    Json(answer).into_response()
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

/// `{"ok": true}`, written the same way as the guarded routes' answers (a struct, no map),
/// so that comparing `/open` with `/api/protected` compares the guard, not the answers.
#[derive(Serialize)]
struct Open {
    ok: bool,
}

async fn open() -> Json<Open> {
    Json(Open { ok: true })
}
