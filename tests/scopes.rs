//! Scope and role guards through real tower services: the axum extractors (`Scoped`,
//! `HasRoles`) and `RequireJwtLayer::require_scopes`/`require_roles`, in both error styles,
//! for the crate's own tokens and for tokens shaped like an identity provider's (`scp`
//! arrays, Keycloak's `realm_access`/`resource_access`, Auth0's namespaced claims), for
//! tokens of an external issuer found by discovery on a fake issuer on loopback, and the
//! gRPC mapping.

mod common;
#[path = "common/fake_issuer.rs"]
mod fake_issuer;

use std::convert::Infallible;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use common::*;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use jwt_extended::integrations::tonic::GrpcErrorResponder;
use jwt_extended::{
    ErrorKind, ErrorStyle, FreshJwtRequired, HasRoles, JwtManager, RequireJwtLayer, Scoped, roles,
    scope::ClaimPath, scope::RequiredRoles, scope::RequiredScopes, scopes,
};
use serde_json::{Value, json};
use tower::{ServiceBuilder, ServiceExt};

scopes!(ReadItems = "read:items");
scopes!(WriteItems = "write:items");
scopes!(ReadAndWrite = all_of["read:items", "write:items"]);
scopes!(ReadOrAdmin = any_of["admin", "read:items"]);
roles!(RealmAdmin = "admin" in ["realm_access", "roles"]);
roles!(ShopStaff = all_of["staff", "verified"] in ["resource_access", "shop-api", "roles"]);
roles!(Auth0Editor = "editor" in ["https://example.com/roles"]);

fn app(m: &JwtManager) -> Router {
    Router::new()
        .route("/read", get(|_: Scoped<ReadItems>| async { "read" }))
        .route(
            "/write-fresh",
            get(|_: Scoped<WriteItems, FreshJwtRequired>| async { "write" }),
        )
        .route("/both", get(|_: Scoped<ReadAndWrite>| async { "both" }))
        .route("/either", get(|_: Scoped<ReadOrAdmin>| async { "either" }))
        .route("/realm", get(|_: HasRoles<RealmAdmin>| async { "realm" }))
        .route("/staff", get(|_: HasRoles<ShopStaff>| async { "staff" }))
        .route(
            "/editor",
            get(|_: HasRoles<Auth0Editor>| async { "editor" }),
        )
        .layer(m.layer())
}

async fn call(
    app: &Router,
    path: &str,
    token: Option<&str>,
) -> (StatusCode, Option<String>, Value) {
    let mut req = Request::get(path);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let res = app
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let challenge = res
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = res.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
    (status, challenge, body)
}

/// An RFC 6750 challenge with `error` and no `scope` parameter.
fn assert_challenge_without_scope(challenge: Option<String>, error: &str) {
    let challenge = challenge.expect("a WWW-Authenticate challenge");
    assert!(
        challenge.starts_with(&format!(r#"Bearer error="{error}""#)),
        "{challenge}"
    );
    assert!(!challenge.contains("scope="), "{challenge}");
}

fn token(m: &JwtManager, claims: Value) -> String {
    let mut b = m.access_token("alice").fresh(true);
    for (k, v) in claims.as_object().unwrap() {
        b = b.claim(k.clone(), v.clone());
    }
    b.create().unwrap()
}

#[tokio::test]
async fn scopes_flask_style() {
    let (m, _clock) = manager();
    let app = app(&m);
    let read = token(&m, json!({"scope": "profile read:items"}));
    let none = token(&m, json!({"scope": "profile"}));
    let scp = token(&m, json!({"scp": ["read:items", "write:items"]}));
    let scp_text = token(&m, json!({"scp": "read:items write:items"}));
    let wrong_types = token(&m, json!({"scope": ["read:items"], "scp": 7}));
    let near_miss = token(&m, json!({"scope": "read:itemsx Read:items read:"}));

    assert_eq!(call(&app, "/read", Some(&read)).await.0, 200);
    assert_eq!(call(&app, "/read", Some(&scp)).await.0, 200);
    assert_eq!(call(&app, "/read", Some(&scp_text)).await.0, 200);
    // An array in `scope` is read too; a number is not a scope.
    assert_eq!(call(&app, "/read", Some(&wrong_types)).await.0, 200);
    assert_eq!(call(&app, "/both", Some(&scp)).await.0, 200);
    assert_eq!(call(&app, "/either", Some(&read)).await.0, 200);

    let (status, challenge, body) = call(&app, "/read", Some(&none)).await;
    assert_eq!(status, 403);
    assert_eq!(challenge, None, "the Flask style has no challenge on 403");
    assert_eq!(
        body,
        json!({"msg": "Insufficient scope, required: read:items"})
    );
    assert_eq!(call(&app, "/read", Some(&near_miss)).await.0, 403);
    assert_eq!(
        call(&app, "/both", Some(&read)).await.2,
        json!({"msg": "Insufficient scope, required: read:items write:items"})
    );
    assert_eq!(
        call(&app, "/either", Some(&none)).await.2,
        json!({"msg": "Insufficient scope, one of: admin read:items"})
    );
    // A bad token is still a token problem, not a scope problem.
    let (status, challenge, _) = call(&app, "/read", None).await;
    assert_eq!(
        (status, challenge.as_deref()),
        (StatusCode::UNAUTHORIZED, Some("Bearer"))
    );
    assert_eq!(call(&app, "/read", Some("garbage")).await.0, 422);
    // The guard's own checks run first: a non-fresh token with the scope is 401.
    let stale = m
        .access_token("alice")
        .claim("scope", "write:items")
        .create()
        .unwrap();
    assert_eq!(
        call(&app, "/write-fresh", Some(&stale)).await.2,
        json!({"msg": "Fresh token required"})
    );
    let fresh = token(&m, json!({"scope": "write:items"}));
    assert_eq!(call(&app, "/write-fresh", Some(&fresh)).await.0, 200);
    // Refresh tokens never pass an access guard, whatever their scopes.
    let refresh = m
        .refresh_token("alice")
        .claim("scope", "read:items")
        .create()
        .unwrap();
    assert_eq!(call(&app, "/read", Some(&refresh)).await.0, 422);
}

#[tokio::test]
async fn scopes_rfc6750_style() {
    let clock = clock();
    let m = builder(&clock)
        .error_style(ErrorStyle::Rfc6750)
        .build()
        .unwrap();
    let app = app(&m);
    let none = token(&m, json!({"scope": "profile"}));

    let (status, challenge, body) = call(&app, "/read", Some(&none)).await;
    assert_eq!(status, 403);
    assert_eq!(
        challenge.as_deref(),
        Some(
            r#"Bearer error="insufficient_scope", error_description="Insufficient scope, required: read:items", scope="read:items""#
        )
    );
    assert_eq!(
        body,
        json!({"msg": "Insufficient scope, required: read:items"})
    );
    let (_, challenge, _) = call(&app, "/both", Some(&none)).await;
    assert!(
        challenge
            .unwrap()
            .ends_with(r#", scope="read:items write:items""#)
    );
    // No token: a bare challenge (RFC 6750 §3.1), no error code.
    let (status, challenge, _) = call(&app, "/read", None).await;
    assert_eq!(
        (status, challenge.as_deref()),
        (StatusCode::UNAUTHORIZED, Some("Bearer"))
    );
    // A bad token: invalid_token, no scope.
    let (status, challenge, _) = call(&app, "/read", Some("garbage")).await;
    assert_eq!(status, 401);
    assert_challenge_without_scope(challenge, "invalid_token");
    // A missing role is insufficient_scope without a scope parameter.
    let (status, challenge, _) = call(&app, "/realm", Some(&none)).await;
    assert_eq!(status, 403);
    assert_challenge_without_scope(challenge, "insufficient_scope");
}

/// Tokens shaped like an identity provider's: Keycloak and Auth0 role claims, and `scp`.
#[tokio::test]
async fn roles_at_claim_paths() {
    let (m, _clock) = manager();
    let app = app(&m);
    let keycloak = token(
        &m,
        json!({
            "realm_access": {"roles": ["offline_access", "admin"]},
            "resource_access": {"shop-api": {"roles": ["staff", "verified"]}, "other": {"roles": ["admin"]}},
        }),
    );
    let half = token(
        &m,
        json!({"resource_access": {"shop-api": {"roles": ["staff"]}}, "realm_access": {"roles": "user"}}),
    );
    let auth0 = token(&m, json!({"https://example.com/roles": ["editor"]}));
    let dotted = token(&m, json!({"https://example": {"com/roles": ["editor"]}}));
    let odd = token(
        &m,
        json!({"realm_access": ["admin"], "resource_access": {"shop-api": null}}),
    );

    assert_eq!(call(&app, "/realm", Some(&keycloak)).await.0, 200);
    assert_eq!(call(&app, "/staff", Some(&keycloak)).await.0, 200);
    assert_eq!(call(&app, "/editor", Some(&auth0)).await.0, 200);
    let (status, _, body) = call(&app, "/staff", Some(&half)).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::FORBIDDEN,
            json!({"msg": "Insufficient role, required: staff verified"})
        )
    );
    assert_eq!(
        call(&app, "/realm", Some(&half)).await.2,
        json!({"msg": "Insufficient role, one of: admin"})
    );
    // A namespaced claim is one name, dots and all.
    assert_eq!(call(&app, "/editor", Some(&dotted)).await.0, 403);
    for path in ["/realm", "/staff", "/editor"] {
        assert_eq!(call(&app, path, Some(&odd)).await.0, 403, "{path}");
    }
}

fn service(
    layer: RequireJwtLayer,
) -> impl tower::Service<
    Request<Full<bytes::Bytes>>,
    Response = Response<jwt_extended::middleware::ResponseBody<Full<bytes::Bytes>>>,
    Error = Infallible,
> + Clone {
    ServiceBuilder::new()
        .layer(layer)
        .service_fn(|_: Request<Full<bytes::Bytes>>| async {
            Ok::<_, Infallible>(Response::new(Full::new(bytes::Bytes::from_static(b"ok"))))
        })
}

async fn status_of<S>(svc: &S, token: Option<&str>) -> (u16, Response<bytes::Bytes>)
where
    S: tower::Service<
            Request<Full<bytes::Bytes>>,
            Response = Response<jwt_extended::middleware::ResponseBody<Full<bytes::Bytes>>>,
            Error = Infallible,
        > + Clone,
{
    let mut req = Request::get("/");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let res = svc
        .clone()
        .oneshot(req.body(Full::default()).unwrap())
        .await
        .unwrap();
    let (parts, body) = res.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    (parts.status.as_u16(), Response::from_parts(parts, body))
}

/// The route layer (hyper, tonic): scopes and roles at run time.
#[tokio::test]
async fn route_layer_scopes_and_roles() {
    let clock = clock();
    let m = builder(&clock)
        .error_style(ErrorStyle::Rfc6750)
        .build()
        .unwrap();
    let read =
        service(RequireJwtLayer::access(&m).require_scopes(RequiredScopes::of::<ReadItems>()));
    let admin = service(
        RequireJwtLayer::access(&m).require_roles(RequiredRoles::any_of(
            ClaimPath::keycloak_realm(),
            ["admin"],
        )),
    );
    let optional = service(
        RequireJwtLayer::optional(&m).require_scopes(RequiredScopes::all_of(["read:items"])),
    );
    let with = token(
        &m,
        json!({"scope": "read:items", "realm_access": {"roles": ["admin"]}}),
    );
    let without = token(&m, json!({"scope": "profile"}));

    assert_eq!(status_of(&read, Some(&with)).await.0, 200);
    let (status, res) = status_of(&read, Some(&without)).await;
    assert_eq!(status, 403);
    assert!(
        res.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .ends_with(r#"scope="read:items""#)
    );
    assert_eq!(status_of(&admin, Some(&with)).await.0, 200);
    assert_eq!(status_of(&admin, Some(&without)).await.0, 403);
    let (status, res) = status_of(&read, None).await;
    assert_eq!(status, 401);
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    // Optional: no token passes, a token without the scope does not.
    assert_eq!(status_of(&optional, None).await.0, 200);
    assert_eq!(status_of(&optional, Some(&without)).await.0, 403);
}

/// tonic: a missing scope is `permission_denied` (gRPC code 7), no token `unauthenticated`.
#[tokio::test]
async fn grpc_maps_insufficient_scope_to_permission_denied() {
    let clock = clock();
    let m = builder(&clock)
        .error_responder(GrpcErrorResponder)
        .build()
        .unwrap();
    let read =
        service(RequireJwtLayer::access(&m).require_scopes(RequiredScopes::of::<ReadItems>()));
    let without = token(&m, json!({"scope": "profile"}));
    let (status, res) = status_of(&read, Some(&without)).await;
    assert_eq!(status, 200, "gRPC errors travel in an HTTP 200");
    assert_eq!(res.headers()["grpc-status"], "7");
    let (_, res) = status_of(&read, None).await;
    assert_eq!(res.headers()["grpc-status"], "16");

    let err = RequiredScopes::of::<ReadItems>()
        .check(&m.decode_token(&without).unwrap())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InsufficientScope);
    assert_eq!(
        GrpcErrorResponder::status(&err).code(),
        tonic::Code::PermissionDenied
    );
}

/// The audience the external issuer's tokens are for.
const IDP_AUD: &str = "orders-api";

/// A fake identity provider with an RSA key (`kid` `idp-rsa`) and an EC key (`idp-ec`).
async fn idp() -> fake_issuer::FakeIssuer {
    use fake_issuer::keys::jwk;
    let fake = fake_issuer::FakeIssuer::start().await;
    fake.set_keys(vec![
        jwk("rsa", "idp-rsa", None),
        jwk("ec256", "idp-ec", Some("ES256")),
    ]);
    fake
}

/// A manager that verifies its own tokens and the fake issuer's (found by discovery).
fn idp_manager(fake: &fake_issuer::FakeIssuer, style: ErrorStyle) -> JwtManager {
    JwtManager::builder()
        .secret(SECRET)
        .error_style(style)
        .issuer(
            jwt_extended::Issuer::discover(fake.issuer())
                .audience([IDP_AUD])
                .timeout(std::time::Duration::from_secs(2))
                .http_client(jwt_extended::issuer::HttpClient::https().unwrap()),
        )
        .build()
        .unwrap()
}

/// An access token of the fake issuer as an identity provider writes it (no `type`, no
/// `fresh`), with `extra` claims, signed by `key` (`rsa` or `ec256`).
fn idp_token(fake: &fake_issuer::FakeIssuer, key: &str, extra: Value) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut claims = json!({
        "iss": fake.issuer(), "sub": "idp|carol", "aud": [IDP_AUD, "https://idp/userinfo"],
        "iat": now, "exp": now + 600,
    });
    for (k, v) in extra.as_object().unwrap() {
        claims[k] = v.clone();
    }
    let (alg, kid) = match key {
        "rsa" => (jsonwebtoken::Algorithm::RS256, "idp-rsa"),
        _ => (jsonwebtoken::Algorithm::ES256, "idp-ec"),
    };
    fake_issuer::keys::sign(key, alg, Some(kid), &claims)
}

/// An external issuer's `scope`, `scp` and Keycloak roles, through the axum extractors, in
/// the Flask style: the same answers as for the manager's own tokens.
#[tokio::test]
async fn external_tokens_through_scope_and_role_extractors_flask_style() {
    let fake = idp().await;
    let m = idp_manager(&fake, ErrorStyle::Flask);
    let app = app(&m);
    let scope = idp_token(&fake, "rsa", json!({"scope": "openid read:items"}));
    let scp = idp_token(
        &fake,
        "ec256",
        json!({"scp": ["read:items", "write:items"]}),
    );
    let profile = idp_token(&fake, "rsa", json!({"scope": "openid profile"}));
    let keycloak = idp_token(
        &fake,
        "rsa",
        json!({
            "realm_access": {"roles": ["offline_access", "admin"]},
            "resource_access": {"shop-api": {"roles": ["staff", "verified"]}},
        }),
    );
    let keycloak_user = idp_token(
        &fake,
        "ec256",
        json!({
            "realm_access": {"roles": ["offline_access", "user"]},
            "resource_access": {"shop-api": {"roles": ["staff"]}},
        }),
    );

    for (path, token, status) in [
        ("/read", &scope, 200),
        ("/read", &scp, 200),
        ("/both", &scp, 200),
        ("/either", &scope, 200),
        ("/realm", &keycloak, 200),
        ("/staff", &keycloak, 200),
        // Roles are not scopes, and scopes are not roles.
        ("/read", &keycloak, 403),
        ("/realm", &scp, 403),
    ] {
        assert_eq!(call(&app, path, Some(token)).await.0, status, "{path}");
    }

    let (status, challenge, body) = call(&app, "/read", Some(&profile)).await;
    assert_eq!(status, 403);
    assert_eq!(challenge, None, "the Flask style has no challenge on 403");
    assert_eq!(
        body,
        json!({"msg": "Insufficient scope, required: read:items"})
    );
    assert_eq!(
        call(&app, "/both", Some(&scope)).await.2,
        json!({"msg": "Insufficient scope, required: read:items write:items"})
    );
    assert_eq!(
        call(&app, "/realm", Some(&keycloak_user)).await,
        (
            StatusCode::FORBIDDEN,
            None,
            json!({"msg": "Insufficient role, one of: admin"})
        )
    );
    assert_eq!(
        call(&app, "/staff", Some(&keycloak_user)).await.2,
        json!({"msg": "Insufficient role, required: staff verified"})
    );
    // An issuer's token is never fresh (no `fresh` claim): the guard's check comes first.
    let write = idp_token(&fake, "rsa", json!({"scope": "write:items"}));
    let (status, _, body) = call(&app, "/write-fresh", Some(&write)).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::UNAUTHORIZED,
            json!({"msg": "Fresh token required"})
        )
    );
    // Scopes never make up for a token that does not verify: another key under the
    // issuer's `kid`, or the right key with another audience.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let forged = fake_issuer::keys::sign(
        "attacker_rsa",
        jsonwebtoken::Algorithm::RS256,
        Some("idp-rsa"),
        &json!({"iss": fake.issuer(), "sub": "idp|carol", "aud": IDP_AUD, "iat": now,
                "exp": now + 600, "scope": "read:items"}),
    );
    assert_eq!(call(&app, "/read", Some(&forged)).await.0, 422);
    let other_aud = idp_token(
        &fake,
        "rsa",
        json!({"aud": "another-api", "scope": "read:items"}),
    );
    assert_eq!(call(&app, "/read", Some(&other_aud)).await.0, 422);
    // The manager's own tokens keep their answers beside the issuer's.
    assert_eq!(
        call(
            &app,
            "/read",
            Some(&token(&m, json!({"scope": "read:items"})))
        )
        .await
        .0,
        200
    );
    assert_eq!(
        call(&app, "/read", Some(&token(&m, json!({"scope": "profile"}))))
            .await
            .0,
        403
    );
    assert_eq!(
        fake.jwks_fetches(),
        1,
        "one key set fetch served every token"
    );
}

/// The RFC 6750 style: `insufficient_scope` with the required scopes for an external token
/// without them, through the extractors and through the route layer.
#[tokio::test]
async fn external_tokens_get_the_rfc6750_insufficient_scope_challenge() {
    let fake = idp().await;
    let m = idp_manager(&fake, ErrorStyle::Rfc6750);
    let app = app(&m);
    let scope = idp_token(&fake, "rsa", json!({"scope": "read:items"}));
    let scp = idp_token(&fake, "ec256", json!({"scp": ["profile"]}));
    let keycloak = idp_token(&fake, "rsa", json!({"realm_access": {"roles": ["admin"]}}));

    assert_eq!(call(&app, "/read", Some(&scope)).await.0, 200);
    for (path, token, scopes) in [
        ("/read", &scp, "read:items"),
        ("/both", &scope, "read:items write:items"),
    ] {
        let (status, challenge, body) = call(&app, path, Some(token)).await;
        assert_eq!(status, 403, "{path}");
        let msg = body["msg"].as_str().unwrap().to_owned();
        assert_eq!(msg, format!("Insufficient scope, required: {scopes}"));
        assert_eq!(
            challenge.as_deref(),
            Some(
                format!(
                    r#"Bearer error="insufficient_scope", error_description="{msg}", scope="{scopes}""#
                )
                .as_str()
            ),
            "{path}"
        );
    }
    let (status, challenge, _) = call(&app, "/either", Some(&scp)).await;
    assert_eq!(status, 403);
    assert!(
        challenge
            .unwrap()
            .ends_with(r#", scope="admin read:items""#)
    );
    // Keycloak roles: 200 with the role, insufficient_scope without a scope parameter
    // without it.
    assert_eq!(call(&app, "/realm", Some(&keycloak)).await.0, 200);
    let (status, challenge, _) = call(&app, "/realm", Some(&scope)).await;
    assert_eq!(status, 403);
    assert_challenge_without_scope(challenge, "insufficient_scope");
    // An external token that does not verify is invalid_token, not a scope problem.
    let other_aud = idp_token(
        &fake,
        "rsa",
        json!({"aud": "another-api", "scope": "read:items"}),
    );
    let (status, challenge, _) = call(&app, "/read", Some(&other_aud)).await;
    assert_eq!(status, 401);
    assert_challenge_without_scope(challenge, "invalid_token");

    // The route layer (hyper, tonic) answers the same.
    let read =
        service(RequireJwtLayer::access(&m).require_scopes(RequiredScopes::of::<ReadItems>()));
    let admin = service(
        RequireJwtLayer::access(&m).require_roles(RequiredRoles::any_of(
            ClaimPath::keycloak_realm(),
            ["admin"],
        )),
    );
    assert_eq!(status_of(&read, Some(&scope)).await.0, 200);
    let (status, res) = status_of(&read, Some(&scp)).await;
    assert_eq!(status, 403);
    assert_eq!(
        res.headers()["www-authenticate"],
        r#"Bearer error="insufficient_scope", error_description="Insufficient scope, required: read:items", scope="read:items""#
    );
    assert_eq!(status_of(&admin, Some(&keycloak)).await.0, 200);
    let (status, res) = status_of(&admin, Some(&scope)).await;
    assert_eq!(status, 403);
    assert!(
        res.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with(r#"Bearer error="insufficient_scope""#)
    );
}

/// tonic: an external token without the scope is `permission_denied`, with it the call
/// goes through.
#[tokio::test]
async fn external_tokens_without_the_scope_are_permission_denied_in_grpc() {
    let fake = idp().await;
    let m = JwtManager::builder()
        .secret(SECRET)
        .error_responder(GrpcErrorResponder)
        .issuer(
            jwt_extended::Issuer::discover(fake.issuer())
                .audience([IDP_AUD])
                .http_client(jwt_extended::issuer::HttpClient::https().unwrap()),
        )
        .build()
        .unwrap();
    let read =
        service(RequireJwtLayer::access(&m).require_scopes(RequiredScopes::of::<ReadItems>()));
    let with = idp_token(&fake, "ec256", json!({"scp": ["read:items"]}));
    let without = idp_token(&fake, "ec256", json!({"scp": ["profile"]}));
    let (status, res) = status_of(&read, Some(&with)).await;
    assert_eq!(status, 200);
    assert_eq!(res.headers().get("grpc-status"), None);
    assert_eq!(res.body().as_ref(), b"ok");
    let (status, res) = status_of(&read, Some(&without)).await;
    assert_eq!(status, 200, "gRPC errors travel in an HTTP 200");
    assert_eq!(res.headers()["grpc-status"], "7");
}
