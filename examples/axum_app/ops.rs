//! `GET /metrics` (the Prometheus text of the crate's counters, with its `metrics` feature)
//! and `GET /openapi.json` (the OpenAPI 3.1 document of every route, with the security schemes
//! the configuration implies and each route's requirement, none on the open routes).

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use jwt_extended::{JwtManager, scope::ScopeSet};

use crate::{AppState, items};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi_json))
}

async fn metrics(State(state): State<AppState>) -> String {
    state.metrics.render()
}

async fn openapi_json(State(state): State<AppState>) -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        state.openapi.to_string(),
    )
        .into_response()
}

/// Which tokens a route takes, for its OpenAPI security requirement.
#[derive(Clone, Copy)]
enum Guard {
    None,
    Optional,
    Access(&'static [&'static str]),
    Refresh,
    Any,
}

/// A route of the contract: method, path, summary, guard, and its responses (status, text).
type Route = (
    axum::http::Method,
    &'static str,
    &'static str,
    Guard,
    &'static [(&'static str, &'static str)],
);

/// The OpenAPI 3.1 document of every route, with the security schemes the configuration
/// implies and each route's requirement (none on the open routes).
pub fn openapi_document(manager: &JwtManager) -> utoipa::openapi::OpenApi {
    use axum::http::Method;
    use utoipa::Modify;
    use utoipa::openapi::path::{
        HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem,
    };
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    use utoipa::openapi::{InfoBuilder, OpenApiBuilder, PathsBuilder, Required, ResponseBuilder};

    #[rustfmt::skip]
    const ROUTES: &[Route] = &[
        (Method::POST, "/api/register", "Register a user", Guard::None, &[("201", "Registered"), ("400", "Username and password required"), ("409", "Username already exists")]),
        (Method::POST, "/api/login", "Log in: an access and a refresh token", Guard::None, &[("200", "The tokens"), ("401", "Bad username or password")]),
        (Method::POST, "/api/login/cookies", "Log in: the tokens as cookies", Guard::None, &[("200", "Logged in"), ("401", "Bad username or password")]),
        (Method::POST, "/api/logout/cookies", "Revoke the cookie tokens and unset the cookies", Guard::Optional, &[("200", "Logged out"), ("401", "Missing CSRF token")]),
        (Method::POST, "/api/refresh", "A new access token for a refresh token", Guard::Refresh, &[("200", "The access token"), ("401", "Missing or bad token")]),
        (Method::POST, "/api/logout", "Revoke the presented token", Guard::Any, &[("200", "Token revoked"), ("401", "Missing or bad token")]),
        (Method::GET, "/api/protected", "Who is logged in", Guard::Access(&[]), &[("200", "The identity"), ("401", "Missing or bad token")]),
        (Method::GET, "/api/me", "The logged-in user", Guard::Access(&[]), &[("200", "The user"), ("401", "Missing or bad token, or no such user")]),
        (Method::GET, "/api/optional", "Who is logged in, if anyone", Guard::Optional, &[("200", "The identity or null")]),
        (Method::POST, "/api/fresh", "Needs a fresh token", Guard::Access(&[]), &[("200", "Fresh"), ("401", "Fresh token required")]),
        (Method::DELETE, "/api/admin", "Admins only", Guard::Access(&[]), &[("200", "Admin"), ("403", "Admins only!")]),
        (Method::DELETE, "/api/users/{id}", "Delete a user (admins, or the user itself; fresh token)", Guard::Access(&[]), &[("200", "Deleted"), ("403", "Admins only!")]),
        (Method::GET, "/api/items", "The items", Guard::Access(items::ReadItems::SCOPES), &[("200", "The items"), ("403", "Insufficient scope")]),
        (Method::POST, "/api/items", "Add an item (fresh token)", Guard::Access(items::WriteItems::SCOPES), &[("201", "Added"), ("401", "Fresh token required"), ("403", "Insufficient scope")]),
        (Method::GET, "/open", "No token needed", Guard::None, &[("200", "ok")]),
        (Method::GET, "/", "The demo page", Guard::None, &[("200", "HTML")]),
        (Method::GET, "/.well-known/jwks.json", "The public keys of the app's tokens", Guard::None, &[("200", "A JWK Set")]),
        (Method::GET, "/openapi.json", "This document", Guard::None, &[("200", "OpenAPI 3.1")]),
        (Method::GET, "/metrics", "Prometheus metrics", Guard::None, &[("200", "Prometheus text")]),
    ];

    let security = manager.openapi_security();
    let mut paths = PathsBuilder::new();
    for (method, path, summary, guard, responses) in ROUTES {
        let mut op = OperationBuilder::new().summary(Some(*summary));
        if path.contains("{id}") {
            op = op.parameter(
                ParameterBuilder::new()
                    .name("id")
                    .parameter_in(ParameterIn::Path)
                    .required(Required::True)
                    .schema(Some(ObjectBuilder::new().schema_type(Type::String))),
            );
        }
        for (code, text) in *responses {
            op = op.response(*code, ResponseBuilder::new().description(*text));
        }
        let requirements = match guard {
            Guard::None => None,
            Guard::Access(scopes) => Some(security.requirements(method, scopes)),
            Guard::Refresh => Some(security.refresh_requirements(method)),
            Guard::Any => {
                let mut any = security.requirements(method, &[]);
                any.extend(security.refresh_requirements(method));
                Some(any)
            }
            Guard::Optional => {
                // `{}`: no token is fine too.
                let mut optional = security.requirements(method, &[]);
                optional.push(Default::default());
                Some(optional)
            }
        };
        if let Some(requirements) = requirements {
            op = op.securities(Some(requirements));
        }
        let http_method = match *method {
            Method::POST => HttpMethod::Post,
            Method::DELETE => HttpMethod::Delete,
            _ => HttpMethod::Get,
        };
        paths = paths.path(*path, PathItem::new(http_method, op.build()));
    }
    let mut doc = OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("jwt-extended example app")
                .version(env!("CARGO_PKG_VERSION"))
                .build(),
        )
        .paths(paths)
        .build();
    security.modify(&mut doc);
    doc
}
