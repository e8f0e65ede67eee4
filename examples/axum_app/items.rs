//! `/api/items`, guarded by OAuth scopes: the `scope` claim that login puts in the tokens
//! (`read:items`, and `write:items` for admins), or an `scp` array.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use jwt_extended::{FreshJwtRequired, Scoped, scopes};
use serde_json::{Value, json};

use crate::users::User;
use crate::{AppState, msg};

scopes!(
    /// Reading items.
    pub ReadItems = "read:items"
);
scopes!(
    /// Adding items.
    pub WriteItems = "write:items"
);

/// The `scope` claim of a user's tokens.
pub fn scope_of(user: &User) -> &'static str {
    if user.is_admin {
        "read:items write:items"
    } else {
        "read:items"
    }
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/items", get(list).post(add))
}

async fn list(State(state): State<AppState>, _: Scoped<ReadItems>) -> Response {
    match state.items.read() {
        Ok(items) => Json(json!({ "items": *items })).into_response(),
        Err(_) => msg(StatusCode::SERVICE_UNAVAILABLE, "Item store unavailable"),
    }
}

/// A fresh token with `write:items`; the body `{"name": "..."}` (at most 200 bytes).
async fn add(
    State(state): State<AppState>,
    _: Scoped<WriteItems, FreshJwtRequired>,
    body: Option<Json<Value>>,
) -> Response {
    let name = body
        .and_then(|Json(v)| v.get("name").and_then(Value::as_str).map(str::to_owned))
        .filter(|n| !n.is_empty() && n.len() <= 200);
    let Some(name) = name else {
        return msg(StatusCode::BAD_REQUEST, "Item name required");
    };
    let Ok(mut items) = state.items.write() else {
        return msg(StatusCode::SERVICE_UNAVAILABLE, "Item store unavailable");
    };
    items.push(name.clone());
    (StatusCode::CREATED, Json(json!({ "name": name }))).into_response()
}
