//! Case 61 of the security reference: logs never carry secrets. A subscriber that keeps
//! everything (TRACE, every field, every span) watches a run of the battery's requests
//! (valid, malformed, forged, expired, not yet valid, wrong type, not fresh, revoked,
//! CSRF-failing, cookie, query and JSON-body tokens, user-lookup and store failures, scope
//! and role refusals), and the captured text (events and spans) must contain no token, no
//! part of one, no secret, no CSRF value and no claim value. Rejections of client input log
//! at DEBUG or below, store failures at WARN. The metrics recorder watches the same run: its
//! labels hold only the fixed values of the `telemetry` module, nothing of a token.
//!
//! This file is its own test binary with one test, so the global subscriber sees only it.

mod common;
#[path = "common/log_capture.rs"]
mod log_capture;

use std::sync::Mutex;
use std::time::Duration as StdDuration;

use axum::Router;
use axum::body::Body;
use axum::routing::{get, post};
use common::*;
use http::{Method, Request};
use http_body_util::BodyExt;
use jwt_extended::store::{
    Check, Consumption, MemoryStore, RevocationStore, StoreError, StoreErrorKind,
};
use jwt_extended::{
    BoxError, DecodedToken, FreshJwtRequired, HasRoles, ImplicitRefreshLayer, JwtBodyLayer,
    JwtManager, JwtRequired, RefreshJwtRequired, Scoped, TokenLocation, UserLoader, roles, scopes,
};
use log_capture::Capture;
use serde_json::json;
use tower::ServiceExt;
use tracing::Level;

struct Users;

#[async_trait::async_trait]
impl UserLoader for Users {
    type User = String;
    async fn load_user(&self, token: &DecodedToken) -> Result<Option<String>, BoxError> {
        match token.subject() {
            Some("ghost-user-0001") => Ok(None),
            Some("db-down-user-0002") => {
                Err("user database unreachable: password=DB-SECRET-3141".into())
            }
            other => Ok(other.map(String::from)),
        }
    }
}

#[derive(Debug)]
struct BrokenStore;

#[async_trait::async_trait]
impl RevocationStore for BrokenStore {
    async fn revoke(&self, _: &str, _: u64) -> Result<(), StoreError> {
        Err(StoreError::new(
            StoreErrorKind::Unavailable,
            "connection refused",
        ))
    }
    async fn revoke_user_before(&self, _: &str, _: u64, _: u64) -> Result<(), StoreError> {
        Err(StoreError::new(
            StoreErrorKind::Unavailable,
            "connection refused",
        ))
    }
    async fn check(&self, _: &[&str], _: Option<&str>) -> Result<Check, StoreError> {
        Err(StoreError::new(
            StoreErrorKind::Corrupt,
            "WRONGTYPE at the key",
        ))
    }
    async fn consume(&self, _: &str, _: &str, _: u64, _: u64) -> Result<Consumption, StoreError> {
        Err(StoreError::new(
            StoreErrorKind::Unavailable,
            "connection refused",
        ))
    }
}

scopes!(ReadItems = "read:items");
roles!(Admin = "admin" in ["realm_access", "roles"]);

fn app(m: &JwtManager) -> Router {
    Router::new()
        .route("/scoped", get(|_: Scoped<ReadItems>| async { "scoped" }))
        .route("/role", get(|_: HasRoles<Admin>| async { "role" }))
        .route(
            "/protected",
            get(|j: JwtRequired| async move { j.subject().unwrap_or_default().to_owned() })
                .post(|j: JwtRequired| async move { j.subject().unwrap_or_default().to_owned() }),
        )
        .route(
            "/fresh",
            get(|j: FreshJwtRequired| async move { j.subject().unwrap_or_default().to_owned() }),
        )
        .route(
            "/refresh",
            post(|j: RefreshJwtRequired| async move { j.subject().unwrap_or_default().to_owned() }),
        )
        .layer(ImplicitRefreshLayer::new(m, time::Duration::minutes(5)))
        .layer(JwtBodyLayer::new())
        .layer(m.layer())
}

/// Cookie values the application set (implicit refresh): secrets too.
static SET_COOKIES: Mutex<Vec<String>> = Mutex::new(Vec::new());

async fn send(app: &Router, req: Request<Body>) -> u16 {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status().as_u16();
    for v in res.headers().get_all("set-cookie") {
        let v = v.to_str().unwrap();
        let value = v.split(';').next().unwrap().split_once('=').unwrap().1;
        SET_COOKIES.lock().unwrap().push(value.to_owned());
    }
    let _ = res.into_body().collect().await.unwrap();
    status
}

fn bearer(method: Method, path: &str, token: &str) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap()
}

#[tokio::test]
async fn case_61_no_secrets_in_logs() {
    let capture = Capture::install();
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let metrics = recorder.handle();
    metrics::set_global_recorder(recorder).unwrap();

    let clock = clock();
    let m = builder(&clock)
        .token_locations([
            TokenLocation::Headers,
            TokenLocation::Cookies,
            TokenLocation::QueryString,
            TokenLocation::Json,
        ])
        .user_loader(Users)
        .revocation_store(MemoryStore::new().with_clock(clock.clone()))
        .build()
        .unwrap();
    let app = app(&m);
    // Everything that must never be logged.
    let mut secrets: Vec<String> = vec![SECRET.into(), "DB-SECRET-3141".into()];
    let mut statuses = Vec::new();

    let valid = m.create_access_token("alice").unwrap();
    let csrf = m.decode_token(&valid).unwrap().csrf().unwrap().to_owned();
    let refresh = m.create_refresh_token("alice").unwrap();
    let fresh = m.access_token("alice").fresh(true).create().unwrap();
    let revoked = m.create_access_token("alice").unwrap();
    m.revoke_token(&m.decode_token(&revoked).unwrap())
        .await
        .unwrap();
    let expiring = m
        .access_token("alice")
        .expires_in(time::Duration::seconds(60))
        .create()
        .unwrap();
    let ghost = m.create_access_token("ghost-user-0001").unwrap();
    let db_down = m.create_access_token("db-down-user-0002").unwrap();
    let unverified_claims = json!({
        "sub": "UNVERIFIED-SUBJECT-2718", "exp": NOW + 900, "jti": "UNVERIFIED-JTI-1618",
        "csrf": "UNVERIFIED-CSRF-1414", "type": "access",
    });
    let forged = sign_raw(
        r#"{"alg":"HS256","typ":"JWT","kid":"UNVERIFIED-KID-1732"}"#,
        &unverified_claims.to_string(),
        "an-attacker-secret-an-attacker-secret!!",
    );
    let none = format!(
        "{}.{}.",
        b64(r#"{"alg":"none","x":"UNVERIFIED-HEADER-1123"}"#),
        b64(unverified_claims.to_string())
    );
    let not_yet = sign_claims(
        &json!({"sub": "alice", "exp": NOW + 900, "nbf": NOW + 500, "jti": "NBF-JTI-9901"}),
    );
    let wrong_exp = sign_claims(&json!({"sub": "alice", "exp": "EXP-AS-TEXT-4477"}));
    let unscoped = m
        .access_token("alice")
        .claim("scope", "UNGRANTED-SCOPE-4242 read:itemz")
        .claim("realm_access", json!({"roles": ["ROLE-VALUE-8181"]}))
        .create()
        .unwrap();
    let scoped = m
        .access_token("scoped-subject-3131")
        .claim("scope", "read:items")
        .create()
        .unwrap();
    for t in [
        &valid, &csrf, &refresh, &fresh, &revoked, &expiring, &ghost, &db_down, &forged, &none,
        &not_yet, &wrong_exp, &unscoped, &scoped,
    ] {
        secrets.push(t.clone());
    }
    for v in [
        "UNVERIFIED-SUBJECT-2718",
        "UNVERIFIED-JTI-1618",
        "UNVERIFIED-CSRF-1414",
        "UNVERIFIED-KID-1732",
        "UNVERIFIED-HEADER-1123",
        "NBF-JTI-9901",
        "EXP-AS-TEXT-4477",
        "ghost-user-0001",
        "db-down-user-0002",
        "UNGRANTED-SCOPE-4242",
        "ROLE-VALUE-8181",
        "scoped-subject-3131",
    ] {
        secrets.push(v.into());
    }

    // Headers.
    for t in [
        &valid,
        &refresh,
        &revoked,
        &ghost,
        &db_down,
        &forged,
        &none,
        &not_yet,
        &wrong_exp,
        &"garbage".to_owned(),
    ] {
        statuses.push(send(&app, bearer(Method::GET, "/protected", t)).await);
    }
    statuses.push(send(&app, bearer(Method::GET, "/fresh", &valid)).await);
    statuses.push(send(&app, bearer(Method::GET, "/fresh", &fresh)).await);
    statuses.push(send(&app, bearer(Method::POST, "/refresh", &refresh)).await);
    statuses.push(send(&app, bearer(Method::POST, "/refresh", &valid)).await);
    // Scopes and roles.
    for (path, t) in [
        ("/scoped", &unscoped),
        ("/scoped", &scoped),
        ("/role", &unscoped),
        ("/role", &forged),
    ] {
        statuses.push(send(&app, bearer(Method::GET, path, t)).await);
    }
    let no_header = Request::get("/protected").body(Body::empty()).unwrap();
    statuses.push(send(&app, no_header).await);
    let two = Request::get("/protected")
        .header("authorization", format!("Bearer {valid}"))
        .header("authorization", format!("Bearer {forged}"))
        .body(Body::empty())
        .unwrap();
    statuses.push(send(&app, two).await);

    // Cookies and CSRF.
    for (method, sent) in [
        (Method::GET, None),
        (Method::POST, None),
        (Method::POST, Some("UNVERIFIED-HEADER-CSRF-5555")),
        (Method::POST, Some(csrf.as_str())),
    ] {
        let mut b = Request::builder().method(method).uri("/protected").header(
            "cookie",
            format!("access_token_cookie={valid}; csrf_access_token={csrf}"),
        );
        if let Some(s) = sent {
            b = b.header("x-csrf-token", s);
        }
        statuses.push(send(&app, b.body(Body::empty()).unwrap()).await);
    }
    secrets.push("UNVERIFIED-HEADER-CSRF-5555".into());

    // Query string and JSON body.
    for t in [&valid, &forged] {
        let q = Request::get(format!("/protected?jwt={t}"))
            .body(Body::empty())
            .unwrap();
        statuses.push(send(&app, q).await);
        let j = Request::post("/protected")
            .header("content-type", "application/json")
            .body(Body::from(json!({ "access_token": t }).to_string()))
            .unwrap();
        statuses.push(send(&app, j).await);
    }

    // Implicit refresh of a cookie token about to expire, and expiry.
    clock.advance(StdDuration::from_secs(30));
    let near_expiry = Request::get("/protected")
        .header("cookie", format!("access_token_cookie={expiring}"))
        .body(Body::empty())
        .unwrap();
    statuses.push(send(&app, near_expiry).await);
    clock.advance(StdDuration::from_secs(60));
    statuses.push(send(&app, bearer(Method::GET, "/protected", &expiring)).await);

    // A failing store.
    let broken = builder(&clock)
        .revocation_store(BrokenStore)
        .build()
        .unwrap();
    let t = broken.create_access_token("alice").unwrap();
    secrets.push(t.clone());
    statuses.push(send(&self::app(&broken), bearer(Method::GET, "/protected", &t)).await);
    let _ = broken.revoke_token(&broken.decode_token(&t).unwrap()).await;

    // And decode_token itself.
    for t in [&forged, &none, &wrong_exp] {
        let _ = m.decode_token(t);
    }

    let set_cookies = SET_COOKIES.lock().unwrap().clone();
    assert!(!set_cookies.is_empty(), "the implicit refresh ran");
    secrets.extend(set_cookies.into_iter().filter(|v| !v.is_empty()));
    for s in [200, 401, 403, 422, 503] {
        assert!(statuses.contains(&s), "the run covers {s}: {statuses:?}");
    }
    let text = capture.text();
    let events = capture.events();
    let verifications: Vec<_> = events
        .iter()
        .filter(|(_, target, _)| target == jwt_extended::telemetry::TARGET)
        .collect();
    for reason in [
        "reason=none",
        "reason=insufficient_scope",
        "reason=forbidden",
        "reason=revoked",
        "reason=unavailable",
        "cache_hit=",
        "location=cookies",
        "token_type=access",
    ] {
        assert!(
            verifications.iter().any(|(_, _, f)| f.contains(reason)),
            "a verification event has {reason}: {text}"
        );
    }
    let rendered = metrics.render();
    for secret in &secrets {
        for piece in secret.split('.').filter(|p| p.len() >= 8) {
            assert!(!text.contains(piece), "the logs contain {piece:?}:\n{text}");
            assert!(
                !rendered.contains(piece),
                "the metrics contain {piece:?}:\n{rendered}"
            );
        }
    }
    for (level, target, fields) in &events {
        if fields.contains("reason=unavailable") {
            assert_eq!(
                *level,
                Level::WARN,
                "{target}{fields}: store failures at WARN"
            );
        } else {
            assert!(
                *level >= Level::DEBUG,
                "{level} {target}{fields}: client errors log at DEBUG or below"
            );
        }
    }
    // Every label value comes from the telemetry module's fixed sets.
    let allowed = [
        "outcome=\"accepted\"",
        "outcome=\"anonymous\"",
        "outcome=\"rejected\"",
        "outcome=\"error\"",
        "reason=\"none\"",
        "reason=\"missing\"",
        "reason=\"csrf\"",
        "reason=\"invalid_token\"",
        "reason=\"wrong_token_type\"",
        "reason=\"expired\"",
        "reason=\"revoked\"",
        "reason=\"fresh_required\"",
        "reason=\"user_lookup\"",
        "reason=\"claims_verification\"",
        "reason=\"forbidden\"",
        "reason=\"insufficient_scope\"",
        "reason=\"unavailable\"",
        "quantile=",
    ];
    let mut series = 0;
    for line in rendered
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        assert!(line.starts_with("jwt_extended_"), "{line}");
        if let Some(labels) = line
            .split_once('{')
            .map(|(_, rest)| rest.split_once('}').unwrap().0)
        {
            for label in labels.split(',') {
                assert!(
                    allowed.iter().any(|a| label.starts_with(a)),
                    "label {label} in {line}"
                );
            }
        }
        series += 1;
    }
    // With the `metrics` feature (`--all-features`), the run is counted.
    assert_eq!(series > 0, cfg!(feature = "metrics"), "{rendered}");
    #[cfg(feature = "metrics")]
    for name in [
        "jwt_extended_verifications_total{outcome=\"error\",reason=\"unavailable\"}",
        "jwt_extended_revocation_store_errors_total",
        "jwt_extended_token_cache_hits_total",
        "jwt_extended_token_cache_misses_total",
    ] {
        assert!(rendered.contains(name), "{name} in {rendered}");
    }
}
