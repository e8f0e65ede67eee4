//! Revocation through the guards, against both stores (memory, and a real `redis-server`
//! started on a loopback port): single tokens, access/refresh pairs, "log out everywhere",
//! refresh rotation with reuse detection under concurrency, two instances sharing Redis,
//! and a Redis outage (fail closed, then recover).

mod common;
#[path = "common/guard_app.rs"]
mod guard_app;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use common::SECRET;
use guard_app::{revoked, send};
use http::StatusCode;
use jwt_extended::store::{MemoryStore, RedisStore, RevocationStore};
use jwt_extended::{
    AnyJwtRequired, JwtManager, JwtManagerBuilder, JwtRequired, RefreshJwtRequired, clock::Clock,
    clock::MockClock, clock::SystemClock,
};
use redis_server::RedisServer;
use serde_json::json;

#[path = "common/redis_server.rs"]
mod redis_server;

fn router(m: &JwtManager) -> Router {
    Router::new()
        .route("/protected", get(|j: JwtRequired| async move { j.subject().unwrap_or_default().to_owned() }))
        .route(
            "/refresh",
            post(|State(m): State<JwtManager>, j: RefreshJwtRequired| async move {
                match m.rotate_refresh_token(j.token()).await {
                    Ok(pair) => (StatusCode::OK, axum::Json(json!({"access_token": pair.access_token, "refresh_token": pair.refresh_token}))),
                    Err(e) => (e.status(), axum::Json(json!({"msg": e.message()}))),
                }
            }),
        )
        .route(
            "/logout",
            post(|State(m): State<JwtManager>, j: AnyJwtRequired| async move {
                m.revoke_token(j.token()).await.map(|_| "ok").map_err(|e| (e.status(), e.message().to_owned()))
            }),
        )
        .with_state(m.clone())
        .layer(m.layer())
}

/// A store to test against, and a way to make more handles on the same data.
enum Backend {
    Memory(Arc<MemoryStore>),
    Redis(RedisServer),
}

impl Backend {
    fn memory(clock: &MockClock) -> Self {
        Self::Memory(Arc::new(MemoryStore::new().with_clock(clock.clone())))
    }

    fn redis() -> Option<Self> {
        RedisServer::start().map(Self::Redis)
    }

    async fn store(&self) -> Arc<dyn RevocationStore> {
        match self {
            Self::Memory(m) => m.clone(),
            Self::Redis(server) => Arc::new(
                RedisStore::builder(server.url())
                    .timeout(Duration::from_millis(250))
                    .build()
                    .await
                    .expect("redis store"),
            ),
        }
    }
}

async fn manager(
    backend: &Backend,
    clock: &MockClock,
    f: impl FnOnce(JwtManagerBuilder) -> JwtManagerBuilder,
) -> JwtManager {
    f(JwtManager::builder()
        .secret(SECRET)
        .clock(clock.clone())
        .revocation_store_shared(backend.store().await))
    .build()
    .unwrap()
}

/// The same cases against both backends (the clock starts at the real time, which Redis
/// uses for expiry).
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let clock = super::real_clock();
                    let backend = super::Backend::memory(&clock);
                    super::$name(&backend, &clock).await;
                }
            )*
        }
        mod redis {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let clock = super::real_clock();
                    let Some(backend) = super::Backend::redis() else { return };
                    super::$name(&backend, &clock).await;
                }
            )*
        }
    };
}

fn real_clock() -> MockClock {
    let clock = MockClock::default();
    clock.set(SystemClock.now());
    clock
}

both_backends!(
    revoked_token_is_refused_everywhere_after,
    revoked_and_expired_is_expired,
    revocation_outlives_the_leeway,
    pair_revocation,
    log_out_everywhere,
    rotation_detects_reuse,
    rotation_overlap_window,
    concurrent_refreshes_one_wins,
    two_instances_share_revocations,
);

async fn revoked_token_is_refused_everywhere_after(b: &Backend, clock: &MockClock) {
    let m = manager(b, clock, |b| b).await;
    let app = router(&m);
    let a = m.create_access_token("alice").unwrap();
    let other = m.create_access_token("alice").unwrap();
    assert_eq!(send(&app, "GET", "/protected", &a).await.0, StatusCode::OK);
    assert_eq!(send(&app, "POST", "/logout", &a).await.0, StatusCode::OK);
    assert_eq!(
        send(&app, "GET", "/protected", &a).await,
        (StatusCode::UNAUTHORIZED, revoked())
    );
    assert_eq!(
        send(&app, "GET", "/protected", &other).await.0,
        StatusCode::OK
    );
    // A refresh token is revoked the same way.
    let r = m.create_refresh_token("alice").unwrap();
    assert_eq!(send(&app, "POST", "/logout", &r).await.0, StatusCode::OK);
    assert_eq!(
        send(&app, "POST", "/logout", &r).await,
        (StatusCode::UNAUTHORIZED, revoked())
    );
    // A token without jti cannot be checked: refused.
    let no_jti = common::sign_claims(&json!({"sub": "a", "exp": clock.now().as_secs() + 60}));
    assert_eq!(
        send(&app, "GET", "/protected", &no_jti).await,
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({"msg": "Missing claim: jti"})
        )
    );
}

async fn revoked_and_expired_is_expired(b: &Backend, clock: &MockClock) {
    let m = manager(b, clock, |b| b).await;
    let app = router(&m);
    let a = m.create_access_token("alice").unwrap();
    m.revoke_token(&m.decode_token(&a).unwrap()).await.unwrap();
    clock.advance(Duration::from_secs(901));
    assert_eq!(
        send(&app, "GET", "/protected", &a).await,
        (
            StatusCode::UNAUTHORIZED,
            json!({"msg": "Token has expired"})
        )
    );
}

async fn revocation_outlives_the_leeway(b: &Backend, clock: &MockClock) {
    // Case 51: exp = now + 5 s, leeway 60 s: at exp + 30 s the token is still within its
    // leeway, and must still be revoked.
    let m = manager(b, clock, |b| b.leeway(60)).await;
    let app = router(&m);
    let a = m
        .access_token("alice")
        .expires_in(time::Duration::seconds(5))
        .create()
        .unwrap();
    m.revoke_token(&m.decode_token(&a).unwrap()).await.unwrap();
    clock.advance(Duration::from_secs(35));
    assert_eq!(
        send(&app, "GET", "/protected", &a).await,
        (StatusCode::UNAUTHORIZED, revoked())
    );
}

async fn pair_revocation(b: &Backend, clock: &MockClock) {
    let m = manager(b, clock, |b| b).await;
    let app = router(&m);
    let p1 = m.token_pair("alice").fresh(true).create().unwrap();
    let p2 = m.token_pair("alice").create().unwrap();
    m.revoke_pair(&m.decode_token(&p1.access_token).unwrap())
        .await
        .unwrap();
    assert_eq!(
        send(&app, "GET", "/protected", &p1.access_token).await,
        (StatusCode::UNAUTHORIZED, revoked())
    );
    assert_eq!(
        send(&app, "POST", "/logout", &p1.refresh_token).await,
        (StatusCode::UNAUTHORIZED, revoked())
    );
    assert_eq!(
        send(&app, "GET", "/protected", &p2.access_token).await.0,
        StatusCode::OK
    );
}

async fn log_out_everywhere(b: &Backend, clock: &MockClock) {
    let m = manager(b, clock, |b| b).await;
    let app = router(&m);
    let old = m.create_access_token("alice").unwrap();
    let old_refresh = m.create_refresh_token("alice").unwrap();
    let bob = m.create_access_token("bob").unwrap();
    clock.advance(Duration::from_secs(1));
    m.revoke_all_for_identity("alice").await.unwrap();
    assert_eq!(
        send(&app, "GET", "/protected", &old).await,
        (StatusCode::UNAUTHORIZED, revoked())
    );
    assert_eq!(
        send(&app, "POST", "/logout", &old_refresh).await,
        (StatusCode::UNAUTHORIZED, revoked())
    );
    assert_eq!(
        send(&app, "GET", "/protected", &bob).await.0,
        StatusCode::OK
    );
    clock.advance(Duration::from_secs(1));
    let fresh = m.create_access_token("alice").unwrap();
    assert_eq!(
        send(&app, "GET", "/protected", &fresh).await.0,
        StatusCode::OK
    );
}

async fn rotation_detects_reuse(b: &Backend, clock: &MockClock) {
    let m = manager(b, clock, |b| b.refresh_rotation(Duration::ZERO)).await;
    let app = router(&m);
    let login = m
        .token_pair("alice")
        .fresh(true)
        .claim("is_admin", true)
        .create()
        .unwrap();
    let (s, r2) = send(&app, "POST", "/refresh", &login.refresh_token).await;
    assert_eq!(s, StatusCode::OK);
    let (a2, rt2) = (
        r2["access_token"].as_str().unwrap().to_owned(),
        r2["refresh_token"].as_str().unwrap().to_owned(),
    );
    let d = m.decode_token(&a2).unwrap();
    assert_eq!(d.claim("is_admin"), Some(&json!(true)), "claims carry over");
    assert!(
        !d.fresh().is_fresh_at(clock.now().as_secs_f64()),
        "refreshed access tokens are not fresh"
    );
    assert_eq!(send(&app, "GET", "/protected", &a2).await.0, StatusCode::OK);
    let (s, r3) = send(&app, "POST", "/refresh", &rt2).await;
    assert_eq!(s, StatusCode::OK);
    let a3 = r3["access_token"].as_str().unwrap().to_owned();

    // The first refresh token again: reuse. The whole family dies.
    assert_eq!(
        send(&app, "POST", "/refresh", &login.refresh_token).await,
        (StatusCode::UNAUTHORIZED, revoked())
    );
    for t in [&login.access_token, &a2, &a3] {
        assert_eq!(
            send(&app, "GET", "/protected", t).await,
            (StatusCode::UNAUTHORIZED, revoked())
        );
    }
    assert_eq!(
        send(
            &app,
            "POST",
            "/refresh",
            r3["refresh_token"].as_str().unwrap()
        )
        .await,
        (StatusCode::UNAUTHORIZED, revoked())
    );
    // Another login of the same user is a different family.
    let other = m.token_pair("alice").create().unwrap();
    assert_eq!(
        send(&app, "GET", "/protected", &other.access_token).await.0,
        StatusCode::OK
    );
}

async fn rotation_overlap_window(b: &Backend, clock: &MockClock) {
    let m = manager(b, clock, |b| b.refresh_rotation(Duration::from_secs(10))).await;
    let app = router(&m);
    let login = m.token_pair("alice").create().unwrap();
    assert_eq!(
        send(&app, "POST", "/refresh", &login.refresh_token).await.0,
        StatusCode::OK
    );
    // A retry with the same (most recent) token within the window is accepted.
    clock.advance(Duration::from_secs(5));
    let (s, retry) = send(&app, "POST", "/refresh", &login.refresh_token).await;
    assert_eq!(s, StatusCode::OK);
    // Once the window has passed, it is reuse.
    clock.advance(Duration::from_secs(6));
    assert_eq!(
        send(&app, "POST", "/refresh", &login.refresh_token).await,
        (StatusCode::UNAUTHORIZED, revoked())
    );
    assert_eq!(
        send(
            &app,
            "GET",
            "/protected",
            retry["access_token"].as_str().unwrap()
        )
        .await,
        (StatusCode::UNAUTHORIZED, revoked())
    );
}

async fn concurrent_refreshes_one_wins(b: &Backend, clock: &MockClock) {
    let m = manager(b, clock, |b| b.refresh_rotation(Duration::ZERO)).await;
    let app = router(&m);
    let login = m.token_pair("alice").create().unwrap();
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let (app, t) = (app.clone(), login.refresh_token.clone());
        tasks.push(tokio::spawn(async move {
            send(&app, "POST", "/refresh", &t).await
        }));
    }
    let mut wins = Vec::new();
    for t in tasks {
        let (s, body) = t.await.unwrap();
        if s == StatusCode::OK {
            wins.push(body);
        } else {
            assert_eq!((s, body), (StatusCode::UNAUTHORIZED, revoked()));
        }
    }
    assert_eq!(wins.len(), 1, "exactly one refresh succeeds");
    // The family ends revoked: even the winner's tokens are refused.
    let winner = wins[0]["access_token"].as_str().unwrap();
    assert_eq!(
        send(&app, "GET", "/protected", winner).await,
        (StatusCode::UNAUTHORIZED, revoked())
    );
}

async fn two_instances_share_revocations(b: &Backend, clock: &MockClock) {
    let a = manager(b, clock, |b| b).await;
    let bm = manager(b, clock, |b| b).await;
    let (app_a, app_b) = (router(&a), router(&bm));
    let t = a.create_access_token("alice").unwrap();
    assert_eq!(
        send(&app_b, "GET", "/protected", &t).await.0,
        StatusCode::OK
    );
    assert_eq!(send(&app_a, "POST", "/logout", &t).await.0, StatusCode::OK);
    assert_eq!(
        send(&app_b, "GET", "/protected", &t).await,
        (StatusCode::UNAUTHORIZED, revoked())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_outage_fails_closed_then_recovers() {
    let clock = real_clock();
    let Some(mut backend) = Backend::redis() else {
        return;
    };
    let m = manager(&backend, &clock, |b| b).await;
    let app = router(&m);
    let revoked_token = m.create_access_token("alice").unwrap();
    let good = m.create_access_token("bob").unwrap();
    assert_eq!(
        send(&app, "POST", "/logout", &revoked_token).await.0,
        StatusCode::OK
    );

    let Backend::Redis(server) = &mut backend else {
        unreachable!()
    };
    server.kill();
    for t in [&good, &revoked_token] {
        let started = Instant::now();
        let (s, _) = send(&app, "GET", "/protected", t).await;
        assert_eq!(
            s,
            StatusCode::SERVICE_UNAVAILABLE,
            "no 200 while the store is down"
        );
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
    }
    assert!(
        m.revoke_token(&m.decode_token(&good).unwrap())
            .await
            .unwrap_err()
            .is_unavailable()
    );

    server.restart();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (s, _) = send(&app, "GET", "/protected", &good).await;
        if s == StatusCode::OK {
            break;
        }
        assert!(Instant::now() < deadline, "the store did not recover: {s}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The revocation made before the crash survived it (AOF).
    assert_eq!(
        send(&app, "GET", "/protected", &revoked_token).await,
        (StatusCode::UNAUTHORIZED, revoked())
    );
}

#[tokio::test]
async fn rotation_needs_a_store_and_refresh_tokens() {
    assert!(
        JwtManager::builder()
            .secret(SECRET)
            .refresh_rotation(Duration::ZERO)
            .build()
            .is_err()
    );
    let m = JwtManager::builder()
        .secret(SECRET)
        .revocation_store(MemoryStore::new())
        .refresh_rotation(Duration::ZERO)
        .build()
        .unwrap();
    let a = m
        .decode_token(&m.create_access_token("a").unwrap())
        .unwrap();
    assert_eq!(
        m.rotate_refresh_token(&a).await.unwrap_err().message(),
        "Only refresh tokens are allowed"
    );
    let plain = JwtManager::builder()
        .secret(SECRET)
        .revocation_store(MemoryStore::new())
        .build()
        .unwrap();
    let r = plain
        .decode_token(&plain.create_refresh_token("a").unwrap())
        .unwrap();
    assert!(plain.rotate_refresh_token(&r).await.is_err());
    let none = JwtManager::builder().secret(SECRET).build().unwrap();
    let t = none
        .decode_token(&none.create_access_token("a").unwrap())
        .unwrap();
    assert_eq!(
        none.revoke_token(&t).await.unwrap_err().kind(),
        jwt_extended::ErrorKind::Misconfigured
    );
}

#[test]
fn a_pair_claim_that_cannot_be_serialized_is_an_error() {
    struct Bad;
    impl serde::Serialize for Bad {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("no"))
        }
    }
    let m = JwtManager::builder().secret(SECRET).build().unwrap();
    let e = m.token_pair("a").claim("bad", Bad).create().unwrap_err();
    assert_eq!(e.kind(), jwt_extended::ErrorKind::TokenCreation);
}

/// The in-memory store answers a cached token's check from the store revision at which the
/// token was last found unrevoked: every kind of revocation made after that must still be
/// seen on the next request, by every manager sharing the store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_store_sees_every_revocation_after_a_clean_check() {
    let clock = real_clock();
    let backend = Backend::memory(&clock);
    let a = manager(&backend, &clock, |b| b).await;
    let b = manager(&backend, &clock, |b| b).await;
    let (app_a, app_b) = (router(&a), router(&b));
    let ok = |app: &Router, t: &str| {
        let (app, t) = (app.clone(), t.to_owned());
        async move { send(&app, "GET", "/protected", &t).await.0 == StatusCode::OK }
    };

    // One token each way of revoking; each is seen clean (twice: the second answer comes
    // from the cached verdict) by both managers first.
    let single = a.create_access_token("alice").unwrap();
    let pair = a.token_pair("bob").create().unwrap();
    let everywhere = a.create_access_token("carol").unwrap();
    let bystander = a.create_access_token("dave").unwrap();
    for t in [&single, &pair.access_token, &everywhere, &bystander] {
        for app in [&app_a, &app_b, &app_a, &app_b] {
            assert!(ok(app, t).await);
        }
    }

    a.revoke_token(&a.decode_token(&single).unwrap())
        .await
        .unwrap();
    for app in [&app_a, &app_b] {
        assert_eq!(
            send(app, "GET", "/protected", &single).await,
            (StatusCode::UNAUTHORIZED, revoked())
        );
        assert!(ok(app, &bystander).await, "another token stays accepted");
    }

    b.revoke_pair(&b.decode_token(&pair.refresh_token).unwrap())
        .await
        .unwrap();
    for app in [&app_b, &app_a] {
        assert_eq!(
            send(app, "GET", "/protected", &pair.access_token).await,
            (StatusCode::UNAUTHORIZED, revoked())
        );
    }

    clock.advance(Duration::from_secs(1));
    a.revoke_all_for_identity("carol").await.unwrap();
    for app in [&app_a, &app_b] {
        assert_eq!(
            send(app, "GET", "/protected", &everywhere).await,
            (StatusCode::UNAUTHORIZED, revoked())
        );
        assert!(ok(app, &bystander).await);
    }
}

/// Requests with one cached token run on every worker while the token is revoked: no
/// request that starts after `revoke_token` returned is accepted, in any of many rounds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_store_refuses_every_request_that_starts_after_the_revocation() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    let clock = real_clock();
    let backend = Backend::memory(&clock);
    let m = manager(&backend, &clock, |b| b).await;
    let app = router(&m);
    let late_accepted = Arc::new(AtomicUsize::new(0));
    let mut accepted_before = 0;
    for _ in 0..40 {
        let token = m.create_access_token("alice").unwrap();
        assert!(send(&app, "GET", "/protected", &token).await.0 == StatusCode::OK);
        let revoked_flag = Arc::new(AtomicBool::new(false));
        let workers: Vec<_> = (0..4)
            .map(|_| {
                let (app, token) = (app.clone(), token.clone());
                let (flag, late) = (revoked_flag.clone(), late_accepted.clone());
                tokio::spawn(async move {
                    let mut accepted = 0;
                    for _ in 0..60 {
                        let after = flag.load(Ordering::SeqCst);
                        let status = send(&app, "GET", "/protected", &token).await.0;
                        if status == StatusCode::OK {
                            accepted += 1;
                            if after {
                                late.fetch_add(1, Ordering::SeqCst);
                            }
                        }
                        tokio::task::yield_now().await;
                    }
                    accepted
                })
            })
            .collect();
        tokio::task::yield_now().await;
        m.revoke_token(&m.decode_token(&token).unwrap())
            .await
            .unwrap();
        revoked_flag.store(true, Ordering::SeqCst);
        for w in workers {
            accepted_before += w.await.unwrap();
        }
        assert_eq!(
            send(&app, "GET", "/protected", &token).await,
            (StatusCode::UNAUTHORIZED, revoked())
        );
    }
    assert_eq!(late_accepted.load(Ordering::SeqCst), 0);
    // The workers did race the revocation: some of their requests came before it.
    assert!(accepted_before > 0);
}
