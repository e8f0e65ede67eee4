//! An external issuer as operators see it: the JWKS fetch counter
//! (`jwt_extended_jwks_fetches_total`) moves by exactly the number of fetches of the
//! issuer's key set, successful or failed, and the verification events name the issuer that
//! verified a token (the configured issuer, or `self` for the manager's own) without ever
//! carrying a token, a part of one, a claim value or a subject. Against a fake OpenID Connect
//! issuer on loopback, through a real tower service.
//!
//! This file is its own test binary with one test, so the global subscriber and the global
//! metrics recorder see only it.

mod common;
#[path = "common/fake_issuer.rs"]
mod fake_issuer;
#[path = "common/log_capture.rs"]
mod log_capture;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use common::SECRET;
use fake_issuer::keys::{jwk, sign};
use fake_issuer::{FakeIssuer, Mode};
use http::Request;
use http_body_util::BodyExt;
use jwt_extended::issuer::HttpClient;
use jwt_extended::{Algorithm, Issuer, JwtManager, JwtRequired, Scoped, scopes};
use log_capture::Capture;
use serde_json::{Value, json};
use tower::ServiceExt;

const AUD: &str = "orders-api";
const COOLDOWN: Duration = Duration::from_secs(1);
/// What the tokens carry that must never be logged (beside the tokens themselves).
const SUBJECT: &str = "idp|subject-5b1e07c3";
const EMAIL: &str = "carol.private-7741@example.org";

scopes!(ReadItems = "read:items");

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

async fn status(app: &Router, token: &str) -> u16 {
    let req = Request::get("/read")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status().as_u16();
    let _ = res.into_body().collect().await.unwrap();
    status
}

/// The value of a Prometheus sample (`name{labels} value`), 0 when absent.
#[cfg(feature = "metrics")]
fn sample(rendered: &str, series: &str) -> f64 {
    rendered
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |v| v.trim().parse().expect("a number"))
}

#[tokio::test]
async fn jwks_fetches_are_counted_and_events_name_the_issuer() {
    let capture = Capture::install();
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let metrics = recorder.handle();
    metrics::set_global_recorder(recorder).unwrap();
    // (ok, error) fetches counted so far.
    let counted = || {
        #[cfg(feature = "metrics")]
        {
            let rendered = metrics.render();
            let series = |o: &str| format!("jwt_extended_jwks_fetches_total{{outcome=\"{o}\"}}");
            (
                sample(&rendered, &series("ok")),
                sample(&rendered, &series("error")),
            )
        }
        #[cfg(not(feature = "metrics"))]
        {
            assert!(!metrics.render().contains("jwks"));
            (0.0, 0.0)
        }
    };
    let expect = |ok: f64, error: f64| {
        if cfg!(feature = "metrics") {
            (ok, error)
        } else {
            (0.0, 0.0)
        }
    };

    let fake = FakeIssuer::start().await;
    fake.set_keys(vec![jwk("rsa", "idp-rsa", None)]);
    let issuer = fake.issuer();
    let m = JwtManager::builder()
        .secret(SECRET)
        .issuer(
            Issuer::discover(&issuer)
                .audience([AUD])
                .unknown_kid_cooldown(COOLDOWN)
                // No background refresh during the test: every fetch is one the test causes.
                .refresh_interval(
                    Duration::from_secs(3600),
                    Duration::from_secs(3600),
                    Duration::from_secs(3600),
                )
                .timeout(Duration::from_secs(2))
                .http_client(HttpClient::https().unwrap()),
        )
        .build()
        .unwrap();
    let app = Router::new()
        .route("/read", get(|_: Scoped<ReadItems>| async { "read" }))
        .route("/protected", get(|_: JwtRequired| async { "protected" }))
        .layer(m.layer());
    let mut tokens = Vec::new();
    let mut idp_token = |key: &str, alg: Algorithm, kid: &str, scope: &str| {
        let claims = json!({
            "iss": issuer, "sub": SUBJECT, "email": EMAIL, "aud": AUD, "iat": now(),
            "exp": now() + 600, "scope": scope, "jti": uuid::Uuid::new_v4().to_string(),
        });
        let token = sign(key, alg, Some(kid), &claims);
        tokens.push(token.clone());
        token
    };
    let known = idp_token("rsa", Algorithm::RS256, "idp-rsa", "read:items");
    let known_unscoped = idp_token("rsa", Algorithm::RS256, "idp-rsa", "profile");
    let next = idp_token("ec256", Algorithm::ES256, "idp-next", "read:items");
    let unknown = idp_token("ec256", Algorithm::ES256, "idp-nobody", "read:items");

    // One discovery and key-set fetch serves every request with a known key.
    assert_eq!(counted(), (0.0, 0.0));
    assert_eq!(status(&app, &known).await, 200);
    assert_eq!(status(&app, &known).await, 200);
    assert_eq!(status(&app, &known_unscoped).await, 403);
    assert_eq!((fake.discovery_fetches(), fake.jwks_fetches()), (1, 1));
    assert_eq!(counted(), expect(1.0, 0.0));

    // An outage: after the cooldown, an unknown `kid` causes one re-fetch, which fails
    // (503); another unknown `kid` inside the cooldown is answered without fetching; known
    // keys keep working.
    fake.set_mode(Mode::Status(503));
    tokio::time::sleep(COOLDOWN + Duration::from_millis(100)).await;
    assert_eq!(status(&app, &next).await, 503);
    assert_eq!(status(&app, &unknown).await, 503);
    assert_eq!(status(&app, &known).await, 200);
    assert_eq!(fake.jwks_fetches(), 2);
    assert_eq!(counted(), expect(1.0, 1.0));

    // The issuer is back with a new key: after the cooldown, the first request bearing it
    // fetches once (discovery again, since the failure) and is answered 200.
    fake.set_mode(Mode::Normal);
    fake.set_keys(vec![
        jwk("rsa", "idp-rsa", None),
        jwk("ec256", "idp-next", Some("ES256")),
    ]);
    tokio::time::sleep(COOLDOWN + Duration::from_millis(100)).await;
    assert_eq!(status(&app, &next).await, 200);
    // An unknown `kid` inside the cooldown after a successful fetch: 422, no fetch.
    assert_eq!(status(&app, &unknown).await, 422);
    assert_eq!((fake.discovery_fetches(), fake.jwks_fetches()), (2, 3));
    assert_eq!(counted(), expect(2.0, 1.0));

    // The issuer unreachable: after the cooldown, one failed fetch, then none.
    fake.set_mode(Mode::Down);
    fake.set_discovery_mode(Mode::Down);
    tokio::time::sleep(COOLDOWN + Duration::from_millis(100)).await;
    assert_eq!(status(&app, &unknown).await, 503);
    assert_eq!(status(&app, &unknown).await, 503);
    assert_eq!(status(&app, &next).await, 200);
    assert_eq!(counted(), expect(2.0, 2.0));

    // The manager's own token beside them.
    let own = m
        .access_token(SUBJECT)
        .claim("scope", "read:items")
        .create()
        .unwrap();
    tokens.push(own.clone());
    assert_eq!(status(&app, &own).await, 200);

    // The verification events name the issuer that verified each token.
    let text = capture.text();
    let verifications: Vec<String> = capture
        .events()
        .into_iter()
        .filter(|(_, target, _)| target == jwt_extended::telemetry::TARGET)
        .map(|(_, _, fields)| fields)
        .collect();
    let external = format!(" issuer={issuer}");
    let accepted_external = verifications
        .iter()
        .filter(|f| f.contains("outcome=accepted") && f.contains(&external))
        .count();
    // known x3, next x2.
    assert_eq!(accepted_external, 5, "{verifications:#?}");
    assert!(
        verifications
            .iter()
            .any(|f| f.contains("reason=insufficient_scope")
                && f.contains(&external)
                && f.contains("kid=idp-rsa")),
        "{verifications:#?}"
    );
    assert_eq!(
        verifications
            .iter()
            .filter(|f| f.contains("outcome=accepted") && f.contains(" issuer=self"))
            .count(),
        1,
        "{verifications:#?}"
    );
    // A token that no key verified names no issuer and no `kid`.
    for f in verifications
        .iter()
        .filter(|f| f.contains("reason=unavailable") || f.contains("reason=invalid_token"))
    {
        assert!(!f.contains("issuer="), "{f}");
        assert!(!f.contains("kid="), "{f}");
    }
    assert_eq!(
        verifications
            .iter()
            .filter(|f| f.contains("reason=unavailable"))
            .count(),
        4,
        "{verifications:#?}"
    );
    // Nothing of a token, no claim value, no subject, in the logs or the metrics.
    let rendered = metrics.render();
    let mut secrets: Vec<String> = vec![SECRET.into(), SUBJECT.into(), EMAIL.into()];
    for token in &tokens {
        secrets.extend(token.split('.').filter(|p| p.len() >= 8).map(str::to_owned));
        let claims: Value =
            serde_json::from_slice(&common::unb64(token.split('.').nth(1).unwrap())).unwrap();
        secrets.push(claims["jti"].as_str().unwrap().to_owned());
    }
    for secret in &secrets {
        assert!(
            !text.contains(secret.as_str()),
            "the logs contain {secret:?}:\n{text}"
        );
        assert!(
            !rendered.contains(secret.as_str()),
            "the metrics contain {secret:?}:\n{rendered}"
        );
    }
    assert!(!text.contains("idp|"), "{text}");
}
