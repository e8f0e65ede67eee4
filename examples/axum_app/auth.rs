//! Sign-up, login, refresh and logout, for header clients and cookie clients.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use jwt_extended::{
    AnyJwtRequired, JwtError, JwtManager, OptionalJwt, RefreshJwtRequired, TokenLocation, TokenType,
};
use serde_json::{Value, json};

use crate::users::{Body, User, credentials};
use crate::{AppState, error, msg};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/register", post(register))
        .route("/api/login", post(login))
        .route("/api/login/cookies", post(login_cookies))
        .route("/api/logout/cookies", post(logout_cookies))
        .route("/api/refresh", post(refresh))
        .route("/api/logout", post(logout))
}

async fn register(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let c = match credentials(&headers, body) {
        Ok(c) => c,
        Err(bad) => {
            return bad.into_response(msg(
                StatusCode::BAD_REQUEST,
                "Username and password required",
            ));
        }
    };
    let password_hash = match state.hasher.hash(c.password).await {
        Ok(Ok(hash)) => hash,
        Ok(Err(_)) => {
            return msg(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Could not hash the password",
            );
        }
        Err(busy) => return busy.into_response(),
    };
    let Ok(mut users) = state.users.write() else {
        return msg(StatusCode::SERVICE_UNAVAILABLE, "User store unavailable");
    };
    if users.by_username(&c.username).is_some() {
        return msg(StatusCode::CONFLICT, "Username already exists");
    }
    users.next_id += 1;
    let id = users.next_id.to_string();
    users.by_id.insert(
        id.clone(),
        Arc::new(User {
            id: id.clone(),
            username: c.username.clone(),
            email: c.email,
            password_hash,
            is_admin: false,
        }),
    );
    (
        StatusCode::CREATED,
        Json(json!({ "id": id, "username": c.username })),
    )
        .into_response()
}

/// Checks the credentials of a login body: the user, or the response to send.
async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<Arc<User>, Response> {
    let bad = || msg(StatusCode::UNAUTHORIZED, "Bad username or password");
    let c = credentials(headers, body).map_err(|e| e.into_response(bad()))?;
    let user = state
        .users
        .read()
        .ok()
        .and_then(|users| users.by_username(&c.username));
    state
        .hasher
        .verify(c.password, user, state.dummy_hash.clone())
        .await
        .map_err(IntoResponse::into_response)?
        .ok_or_else(bad)
}

/// A fresh access token and a refresh token issued as a pair, both carrying `is_admin` and
/// the user's OAuth `scope`.
fn issue(manager: &JwtManager, user: &User) -> Result<(String, String), JwtError> {
    let pair = manager
        .token_pair(&user.id)
        .fresh(true)
        .claim("is_admin", user.is_admin)
        .claim("scope", crate::items::scope_of(user))
        .create()?;
    Ok((pair.access_token, pair.refresh_token))
}

async fn login(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let user = match authenticate(&state, &headers, body).await {
        Ok(user) => user,
        Err(res) => return res,
    };
    match issue(&state.manager, &user) {
        Ok((access, refresh)) => {
            Json(json!({ "access_token": access, "refresh_token": refresh })).into_response()
        }
        Err(e) => error(&state.manager, &e),
    }
}

async fn login_cookies(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let user = match authenticate(&state, &headers, body).await {
        Ok(user) => user,
        Err(res) => return res,
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

/// Logs a cookie client out. The guard takes a token from any configured location; one
/// from a cookie needs its CSRF header, so another site cannot log a user out (401
/// `Missing CSRF token`, cookies kept). The presented access token and the refresh cookie's
/// token are revoked, so a copy of either cookie stops working; then every JWT cookie is
/// unset. Without a token, the cookies are only unset.
async fn logout_cookies(
    State(state): State<AppState>,
    jwt: OptionalJwt,
    headers: HeaderMap,
) -> Response {
    let manager = &state.manager;
    if let Some(access) = jwt.token() {
        if let Err(e) = manager.revoke_token(access).await {
            return error(manager, &e);
        }
        // The request proved itself (a token, with its CSRF value if it came from a
        // cookie), so the refresh cookie that came with it goes too.
        let refresh = refresh_cookie(&headers, &state.refresh_cookie_name)
            .and_then(|raw| manager.decode_token(raw).ok())
            .filter(|t| *t.token_type() == TokenType::Refresh);
        if let Some(refresh) = refresh
            && let Err(e) = manager.revoke_token(&refresh).await
        {
            return error(manager, &e);
        }
    }
    (
        manager.unset_jwt_cookies(),
        Json(json!({ "msg": "logout ok" })),
    )
        .into_response()
}

/// The first cookie called `name` (the one the crate's cookie location reads too).
fn refresh_cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .flatten()
        .find(|c| c.name() == name)
        .and_then(|c| c.value_raw())
}

/// A new access token for a refresh token. A cookie client (the refresh token came from a
/// cookie) gets it as cookies too, and with rotation the new refresh token as well, so the
/// cookie session goes on.
async fn refresh(State(state): State<AppState>, jwt: RefreshJwtRequired) -> Response {
    let manager = &state.manager;
    let from_cookie = jwt.location() == TokenLocation::Cookies;
    let (access, refresh) = if state.rotation {
        // Rotation: the refresh token is consumed and replaced; reusing it revokes the family.
        match manager.rotate_refresh_token(jwt.token()).await {
            Ok(pair) => (pair.access_token, Some(pair.refresh_token)),
            Err(e) => return error(manager, &e),
        }
    } else {
        let is_admin = jwt
            .token()
            .claim("is_admin")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let scope = jwt.token().claim("scope").cloned().unwrap_or(Value::Null);
        match manager
            .access_token(jwt.identity())
            .claim("is_admin", is_admin)
            .claim("scope", scope)
            .create()
        {
            Ok(access) => (access, None),
            Err(e) => return error(manager, &e),
        }
    };
    let body = match &refresh {
        Some(r) => json!({ "access_token": access, "refresh_token": r }),
        None => json!({ "access_token": access }),
    };
    if !from_cookie {
        return Json(body).into_response();
    }
    let cookies = manager
        .access_cookies(&access)
        .and_then(|c| match &refresh {
            Some(r) => Ok(c.and(manager.refresh_cookies(r)?)),
            None => Ok(c),
        });
    match cookies {
        Ok(cookies) => (cookies, Json(body)).into_response(),
        Err(e) => error(manager, &e),
    }
}

async fn logout(State(state): State<AppState>, jwt: AnyJwtRequired) -> Response {
    match state.manager.revoke_token(jwt.token()).await {
        Ok(()) => msg(StatusCode::OK, "Token revoked"),
        Err(e) => error(&state.manager, &e),
    }
}
