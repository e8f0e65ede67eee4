//! Property tests of the security invariants (proptest):
//!
//! - every single-byte change of a valid token, whatever its algorithm, is refused with a
//!   422, by `decode_token` and through the layer and guard;
//! - arbitrary `Authorization`, `Cookie` and query bytes never panic and give 401
//!   "missing", a 422, or a token error (never a 5xx, never an echo of the input);
//! - time claims at any extreme (u64, i64, f64) × leeway 0..=300 × any clock never
//!   overflow, and accept exactly when PyJWT's comparisons say so; an accepted token can be
//!   revoked, and the verified-token cache agrees with a fresh verification as time moves.
//!
//! - any sequence of revocations (a token, a pair, every token of an identity), clock moves
//!   and requests gets, request by request, the answers of a manager whose in-memory store
//!   is asked through its future on every request (no cached token, no store revision).
//!
//! `keep_until`'s own properties are in `tests/store.rs`; the fuzz targets run as bounded
//! loops in `tests/fuzz_targets.rs`.

mod common;

use std::sync::OnceLock;
use std::time::Duration as StdDuration;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use common::*;
use http::{HeaderValue, Request, StatusCode};
use http_body_util::BodyExt;
use jwt_extended::store::MemoryStore;
use jwt_extended::{
    Algorithm, ErrorKind, JwtManager, JwtRequired, TokenLocation, clock::MockClock,
};
use proptest::prelude::*;
use serde_json::{Number, Value, json};
use tower::ServiceExt;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn app(m: &JwtManager) -> Router {
    Router::new()
        .route(
            "/p",
            get(|j: JwtRequired| async move { j.subject().unwrap_or_default().to_owned() })
                .post(|j: JwtRequired| async move { j.subject().unwrap_or_default().to_owned() }),
        )
        .layer(m.layer())
}

async fn status_and_msg(app: &Router, req: Request<Body>) -> (StatusCode, String) {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let msg = serde_json::from_slice::<Value>(&bytes)
        .ok()
        .and_then(|v| v["msg"].as_str().map(String::from))
        .unwrap_or_else(|| String::from_utf8_lossy(&bytes).into_owned());
    (status, msg)
}

// ---- tampering ------------------------------------------------------------------------------

struct Signed {
    managers: Vec<(JwtManager, String)>,
}

/// One manager and one valid token per algorithm family.
fn signed() -> &'static Signed {
    static S: OnceLock<Signed> = OnceLock::new();
    S.get_or_init(|| {
        let clock = clock();
        let pem = |n: &str| fixture(&format!("keys/{n}.pem"));
        let mut managers = vec![builder(&clock).build().unwrap()];
        for (alg, name) in [
            (Algorithm::RS256, "rsa"),
            (Algorithm::PS256, "rsa"),
            (Algorithm::ES256, "ec256"),
            (Algorithm::EdDSA, "ed25519"),
        ] {
            managers.push(
                JwtManager::builder()
                    .algorithm(alg)
                    .private_key_pem(pem(&format!("{name}_private")))
                    .public_key_pem(pem(&format!("{name}_public")))
                    .clock(clock.clone())
                    .build()
                    .unwrap(),
            );
        }
        Signed {
            managers: managers
                .into_iter()
                .map(|m| {
                    let t = m
                        .access_token("alice")
                        .claim("role", "user")
                        .create()
                        .unwrap();
                    (m, t)
                })
                .collect(),
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1_500, failure_persistence: None, ..ProptestConfig::default() })]

    /// Case 7: any single-byte change is a 422, by `decode_token` and through the guard.
    #[test]
    fn every_single_byte_change_is_refused(which in 0usize..5, at in any::<usize>(), byte in any::<u8>()) {
        let (m, t) = &signed().managers[which];
        let mut bytes = t.clone().into_bytes();
        let i = at % bytes.len();
        prop_assume!(bytes[i] != byte);
        bytes[i] = byte;
        let text = String::from_utf8_lossy(&bytes);
        let e = m.decode_token(&text).expect_err("a changed token was accepted");
        prop_assert_eq!(e.status(), StatusCode::UNPROCESSABLE_ENTITY, "{}", e.message());
        let mut value = b"Bearer ".to_vec();
        value.extend_from_slice(&bytes);
        if let Ok(v) = HeaderValue::from_bytes(&value) {
            let req = Request::get("/p").header("authorization", v).body(Body::empty()).unwrap();
            let (status, msg) = rt().block_on(status_and_msg(&app(m), req));
            prop_assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}", msg);
        }
    }
}

// ---- arbitrary extraction input --------------------------------------------------------------

fn all_locations() -> &'static (JwtManager, Router, String) {
    static S: OnceLock<(JwtManager, Router, String)> = OnceLock::new();
    S.get_or_init(|| {
        let clock = clock();
        let m = builder(&clock)
            .token_locations([
                TokenLocation::Headers,
                TokenLocation::Cookies,
                TokenLocation::QueryString,
            ])
            .build()
            .unwrap();
        let t = m.create_access_token("alice").unwrap();
        let app = app(&m);
        (m, app, t)
    })
}

/// Bytes, sometimes with our token spliced in.
fn hostile() -> impl Strategy<Value = Vec<u8>> {
    let token = all_locations().2.clone().into_bytes();
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..200),
        (
            proptest::collection::vec(any::<u8>(), 0..20),
            proptest::collection::vec(any::<u8>(), 0..20)
        )
            .prop_map(move |(a, b)| [a, token.clone(), b].concat()),
        "[ -~]{0,60}".prop_map(String::into_bytes),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1_500, failure_persistence: None, ..ProptestConfig::default() })]

    /// Arbitrary `Authorization`, `Cookie` and query bytes: "missing", a 422 or a token
    /// error; the CSRF header too, on a POST.
    #[test]
    fn arbitrary_request_bytes_give_client_errors(
        auth in hostile(),
        cookie in hostile(),
        query in hostile(),
        csrf in hostile(),
        post in any::<bool>(),
    ) {
        let (_, app, token) = all_locations();
        let mut path = b"/p?".to_vec();
        path.extend_from_slice(&query);
        let uri = http::Uri::builder().path_and_query(path).build().unwrap_or_else(|_| "/p".parse().unwrap());
        let mut b = Request::builder().method(if post { "POST" } else { "GET" }).uri(uri);
        for (name, value) in [("authorization", &auth), ("cookie", &cookie), ("x-csrf-token", &csrf)] {
            if let Ok(v) = HeaderValue::from_bytes(value) {
                b = b.header(name, v);
            }
        }
        let (status, msg) = rt().block_on(status_and_msg(app, b.body(Body::empty()).unwrap()));
        prop_assert!(
            status == StatusCode::OK || status == StatusCode::UNAUTHORIZED || status == StatusCode::UNPROCESSABLE_ENTITY,
            "{} {}", status, msg
        );
        if status == StatusCode::OK {
            prop_assert_eq!(msg, "alice");
        } else {
            prop_assert!(!msg.contains(token.as_str()));
        }
    }
}

// ---- time claims -----------------------------------------------------------------------------

/// A NumericDate candidate: integers and floats at and around every edge, and anywhere.
fn time_value() -> impl Strategy<Value = Value> {
    let near = |c: u64| (c.saturating_sub(400)..c.saturating_add(400)).prop_map(Value::from);
    prop_oneof![
        Just(json!(0)),
        Just(json!(u64::MAX)),
        Just(json!(i64::MAX)),
        Just(json!(i64::MIN)),
        Just(json!(-1)),
        Just(json!(9_007_199_254_740_993u64)),
        Just(json!(1.8e19)),
        Just(json!(1.8446744073709552e19)),
        Just(json!(-0.0)),
        Just(json!(0.5)),
        any::<u64>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
        near(NOW),
        near(NOW).prop_map(|v| json!(v.as_u64().unwrap() as f64 + 0.5)),
        near(u64::MAX - 400),
        near(i64::MAX as u64),
    ]
}

/// PyJWT's verdict, computed independently in f64 with exact integer paths: `None` for
/// a malformed value, else the value floored (exp) or ceiled (iat, nbf).
fn numeric(v: &Value, up: bool) -> Option<u128> {
    let n = v.as_number()?;
    if let Some(u) = n.as_u64() {
        return Some(u128::from(u));
    }
    if n.as_i64().is_some() {
        return None;
    }
    let f = n.as_f64()?;
    if !(0.0..18_446_744_073_709_551_616.0).contains(&f) {
        return None;
    }
    Some(if up { f.ceil() } else { f.floor() } as u128)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3_000, failure_persistence: None, ..ProptestConfig::default() })]

    /// Cases 23–28: any `exp`/`iat`/`nbf` × leeway 0..=300 × any clock: no panic, no
    /// overflow, and the verdict of PyJWT's comparisons; an accepted token is revocable,
    /// and the cached verification agrees with a fresh one as the clock moves.
    #[test]
    fn time_claims_never_overflow(
        exp in time_value(),
        iat in proptest::option::of(time_value()),
        nbf in proptest::option::of(time_value()),
        leeway in 0u64..=300,
        now in prop_oneof![Just(NOW), Just(0u64), Just(u64::MAX / 1_000_000_000), any::<u32>().prop_map(u64::from), NOW - 1_000..NOW + 1_000],
        later in 0u64..2_000,
    ) {
        let clock = MockClock::at_unix(now);
        let now = clock_secs(&clock);
        let m = JwtManager::builder()
            .secret(SECRET)
            .leeway(leeway)
            .clock(clock.clone())
            .revocation_store(MemoryStore::new().with_clock(clock.clone()))
            .build()
            .unwrap();
        let mut claims = json!({"sub": "alice", "jti": "j", "exp": exp});
        if let Some(iat) = &iat { claims["iat"] = iat.clone(); }
        if let Some(nbf) = &nbf { claims["nbf"] = nbf.clone(); }
        let t = sign_claims(&claims);
        let result = m.decode_token(&t);

        let l = u128::from(leeway);
        let n = u128::from(now);
        let expected: Result<(), &str> = (|| {
            let iat = match &iat { Some(v) => Some(numeric(v, true).ok_or("Issued At claim (iat) must be an integer.")?), None => None };
            if iat.is_some_and(|i| i > n + l) { return Err("The token is not yet valid (iat)"); }
            let nbf = match &nbf { Some(v) => Some(numeric(v, true).ok_or("Not Before claim (nbf) must be an integer.")?), None => None };
            if nbf.is_some_and(|b| b > n + l) { return Err("The token is not yet valid (nbf)"); }
            let exp = numeric(&exp, false).ok_or("Expiration Time claim (exp) must be an integer.")?;
            if exp + l <= n { return Err("Token has expired"); }
            Ok(())
        })();
        match (&result, expected) {
            (Ok(_), Ok(())) => {}
            (Err(e), Err(msg)) => prop_assert_eq!(e.message(), msg),
            (r, x) => prop_assert!(false, "got {:?}, expected {:?}", r.as_ref().map(|_| ()).map_err(|e| e.message().to_owned()), x),
        }

        let app = app(&m);
        let send = |t: &str| {
            let req = Request::get("/p").header("authorization", format!("Bearer {t}")).body(Body::empty()).unwrap();
            rt().block_on(status_and_msg(&app, req))
        };
        if let Ok(d) = result {
            prop_assert_eq!(send(&t).0, StatusCode::OK);
            // Time moves on: the cached verification answers as a fresh one does.
            clock.advance(StdDuration::from_secs(later));
            let fresh = m.decode_token(&t);
            let (status, msg) = send(&t);
            match fresh {
                Ok(_) => prop_assert_eq!(status, StatusCode::OK),
                Err(e) => {
                    prop_assert_eq!(e.kind(), ErrorKind::Expired);
                    prop_assert_eq!(msg, e.message());
                }
            }
            // Revoking never overflows, and holds for as long as the token is accepted.
            rt().block_on(m.revoke_token(&d)).unwrap();
            let (status, msg) = send(&t);
            prop_assert!(status == StatusCode::UNAUTHORIZED, "{} {}", status, msg);
        }
    }
}

fn clock_secs(clock: &MockClock) -> u64 {
    use jwt_extended::clock::Clock;
    clock.now().as_secs()
}

/// A store that forwards to a `MemoryStore` through the `RevocationStore` trait: a manager
/// built with it looks every id up on every request (the path of any remote store).
#[derive(Debug)]
struct Forwarding(MemoryStore);

#[async_trait::async_trait]
impl jwt_extended::store::RevocationStore for Forwarding {
    async fn revoke(&self, id: &str, until: u64) -> Result<(), jwt_extended::store::StoreError> {
        self.0.revoke(id, until).await
    }
    async fn revoke_user_before(
        &self,
        identity: &str,
        not_before: u64,
        until: u64,
    ) -> Result<(), jwt_extended::store::StoreError> {
        self.0.revoke_user_before(identity, not_before, until).await
    }
    async fn check(
        &self,
        ids: &[&str],
        identity: Option<&str>,
    ) -> Result<jwt_extended::store::Check, jwt_extended::store::StoreError> {
        self.0.check(ids, identity).await
    }
    async fn consume(
        &self,
        family: &str,
        id: &str,
        now: u64,
        until: u64,
    ) -> Result<jwt_extended::store::Consumption, jwt_extended::store::StoreError> {
        self.0.consume(family, id, now, until).await
    }
}

#[derive(Debug, Clone)]
enum Op {
    Request(usize),
    RevokeToken(usize),
    RevokePair(usize),
    RevokeIdentity(usize),
    Advance(u64),
}

const IDENTITIES: [&str; 3] = ["alice", "bob", "carol"];

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0usize..9).prop_map(Op::Request),
        1 => (0usize..9).prop_map(Op::RevokeToken),
        1 => (0usize..9).prop_map(Op::RevokePair),
        1 => (0usize..IDENTITIES.len()).prop_map(Op::RevokeIdentity),
        2 => (0u64..400).prop_map(Op::Advance),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    /// The in-memory store's fast check (a cached token, the store's revision) answers every
    /// request as a full lookup does, whatever was revoked in between and however time moved.
    #[test]
    fn the_fast_revocation_check_answers_as_a_full_lookup(ops in proptest::collection::vec(op(), 1..40)) {
        rt().block_on(async move {
            let clock = MockClock::at_unix(NOW);
            let fast = JwtManager::builder()
                .secret(SECRET)
                .clock(clock.clone())
                .revocation_store(MemoryStore::new().with_clock(clock.clone()))
                .build()
                .unwrap();
            let slow = JwtManager::builder()
                .secret(SECRET)
                .clock(clock.clone())
                .revocation_store_shared(std::sync::Arc::new(Forwarding(
                    MemoryStore::new().with_clock(clock.clone()),
                )))
                .build()
                .unwrap();
            let (fast_app, slow_app) = (app(&fast), app(&slow));
            // Per identity: a pair (access, refresh) and a lone access token.
            let mut tokens = Vec::new();
            for identity in IDENTITIES {
                let pair = fast.token_pair(identity).create().unwrap();
                tokens.push(pair.access_token);
                tokens.push(pair.refresh_token);
                tokens.push(fast.create_access_token(identity).unwrap());
            }
            let get = |t: &str| {
                Request::get("/p")
                    .header("authorization", format!("Bearer {t}"))
                    .body(Body::empty())
                    .unwrap()
            };
            for op in ops {
                match op {
                    Op::Request(i) => {
                        let f = status_and_msg(&fast_app, get(&tokens[i])).await;
                        let s = status_and_msg(&slow_app, get(&tokens[i])).await;
                        prop_assert_eq!(f, s, "token {}", i);
                    }
                    Op::RevokeToken(i) => {
                        for m in [&fast, &slow] {
                            if let Ok(t) = m.decode_token(&tokens[i]) {
                                m.revoke_token(&t).await.unwrap();
                            }
                        }
                    }
                    Op::RevokePair(i) => {
                        for m in [&fast, &slow] {
                            if let Ok(t) = m.decode_token(&tokens[i]) {
                                m.revoke_pair(&t).await.unwrap();
                            }
                        }
                    }
                    Op::RevokeIdentity(k) => {
                        for m in [&fast, &slow] {
                            m.revoke_all_for_identity(IDENTITIES[k]).await.unwrap();
                        }
                    }
                    Op::Advance(secs) => clock.advance(StdDuration::from_secs(secs)),
                }
            }
            Ok(())
        })?;
    }
}
