//! The Redis store's local view (`RedisStoreBuilder::local_cache`) against a real
//! `redis-server`: instance A revokes, instance B (with a view) refuses within the bound
//! without asking Redis; a frozen Redis makes B strict after the bound; a restart or a
//! lost subscription rebuilds the view, revocations missed meanwhile included; a full
//! view is not trusted.
#![cfg(feature = "redis")]

mod common;

use std::time::{Duration, Instant};

use common::SECRET;
use guard_app::{revoked, router, send};
use http::StatusCode;
use jwt_extended::store::{RedisStore, RevocationStore};
use jwt_extended::{JwtManager, clock::Clock, clock::MockClock, clock::SystemClock};
use redis_server::RedisServer;

#[path = "common/guard_app.rs"]
mod guard_app;
#[path = "common/redis_server.rs"]
mod redis_server;

// (generous, so that a loaded CI machine does not miss a ping by chance)
const BOUND: Duration = Duration::from_millis(250);

fn real_clock() -> MockClock {
    let clock = MockClock::default();
    clock.set(SystemClock.now());
    clock
}

async fn strict_store(url: &str, clock: &MockClock) -> RedisStore {
    RedisStore::builder(url)
        .clock(clock.clone())
        .build()
        .await
        .expect("strict store")
}

async fn view_store(url: &str, clock: &MockClock) -> RedisStore {
    let store = RedisStore::builder(url)
        .clock(clock.clone())
        .local_cache(BOUND)
        .build()
        .await
        .expect("store with a local view");
    assert!(store.local_view_is_fresh(), "the view is loaded by build");
    store
}

fn manager(store: RedisStore, clock: &MockClock) -> JwtManager {
    JwtManager::builder()
        .secret(SECRET)
        .clock(clock.clone())
        .refresh_rotation(Duration::ZERO)
        .revocation_store(store)
        .build()
        .unwrap()
}

async fn raw(server: &RedisServer) -> redis::aio::MultiplexedConnection {
    redis::Client::open(server.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

/// How many `GET`s Redis has served: the strict check's command.
async fn gets_served(conn: &mut redis::aio::MultiplexedConnection) -> u64 {
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query_async(conn)
        .await
        .unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix("cmdstat_get:calls="))
        .map_or(0, |rest| rest.split(',').next().unwrap().parse().unwrap())
}

async fn wait_until_fresh(store: &RedisStore, within: Duration) -> Duration {
    let started = Instant::now();
    while !store.local_view_is_fresh() {
        assert!(
            started.elapsed() < within,
            "the view was not rebuilt within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b_refuses_what_a_revoked_within_the_bound_from_its_view() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let clock = real_clock();
    let a = manager(strict_store(&server.url(), &clock).await, &clock);
    let b_store = view_store(&server.url(), &clock).await;
    let b = manager(b_store.clone(), &clock);
    let (app_a, app_b) = (router(&a), router(&b));
    let mut conn = raw(&server).await;

    let single = a.create_access_token("alice").unwrap();
    let pair = a.token_pair("alice").create().unwrap();
    let family = a.token_pair("dave").create().unwrap();
    let carol_old = a.create_access_token("carol").unwrap();
    let bob = a.create_access_token("bob").unwrap();
    let gets_before = gets_served(&mut conn).await;
    for t in [&single, &pair.access_token, &carol_old, &bob] {
        assert_eq!(send(&app_b, "GET", "/protected", t).await.0, StatusCode::OK);
    }

    // Single token, pair, family (reuse on A), identity ("log out everywhere").
    assert_eq!(
        send(&app_a, "POST", "/logout", &single).await.0,
        StatusCode::OK
    );
    a.revoke_pair(&a.decode_token(&pair.access_token).unwrap())
        .await
        .unwrap();
    let (s, rotated) = send(&app_a, "POST", "/refresh", &family.refresh_token).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        send(&app_a, "POST", "/refresh", &family.refresh_token).await,
        (StatusCode::UNAUTHORIZED, revoked())
    );
    clock.advance(Duration::from_secs(1));
    a.revoke_all_for_identity("carol").await.unwrap();
    clock.advance(Duration::from_secs(1));
    let carol_new = a.create_access_token("carol").unwrap();

    tokio::time::sleep(BOUND).await;
    let gets_at_b = gets_served(&mut conn).await;
    for t in [
        &single,
        &pair.access_token,
        &family.access_token,
        &carol_old,
    ] {
        assert_eq!(
            send(&app_b, "GET", "/protected", t).await,
            (StatusCode::UNAUTHORIZED, revoked())
        );
    }
    for t in [
        &pair.refresh_token,
        rotated["refresh_token"].as_str().unwrap(),
    ] {
        assert_eq!(
            send(&app_b, "POST", "/logout", t).await,
            (StatusCode::UNAUTHORIZED, revoked())
        );
    }
    for t in [&bob, &carol_new] {
        assert_eq!(send(&app_b, "GET", "/protected", t).await.0, StatusCode::OK);
    }
    // B answered every check from its view: Redis served no GET for B (the GETs counted
    // are A's own checks, made before `gets_at_b`).
    assert!(b_store.local_view_is_fresh());
    let gets_after = gets_served(&mut conn).await;
    assert_eq!(
        gets_after, gets_at_b,
        "B asked Redis ({gets_before} GETs before, {gets_at_b} at B's checks, {gets_after} after)"
    );
    // (the token, the pair, the family and the identity)
    assert_eq!(b_store.local_view_len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_redis_makes_the_view_strict_after_the_bound() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let clock = real_clock();
    let b_store = view_store(&server.url(), &clock).await;
    let b = manager(b_store.clone(), &clock);
    let app_b = router(&b);
    let token = b.create_access_token("alice").unwrap();
    assert_eq!(
        send(&app_b, "GET", "/protected", &token).await.0,
        StatusCode::OK
    );

    server.pause();
    // No word from Redis for longer than the bound: the view is not trusted, and the
    // strict check fails closed.
    tokio::time::sleep(BOUND + BOUND / 2).await;
    assert!(!b_store.local_view_is_fresh());
    let (s, _) = send(&app_b, "GET", "/protected", &token).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);

    server.resume();
    let took = wait_until_fresh(&b_store, Duration::from_secs(5)).await;
    println!("Redis resumed: the view was trusted again after {took:?}");
    assert_eq!(
        send(&app_b, "GET", "/protected", &token).await.0,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_redis_rebuilds_the_view() {
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    let clock = real_clock();
    let a = manager(strict_store(&server.url(), &clock).await, &clock);
    let b_store = view_store(&server.url(), &clock).await;
    let b = manager(b_store.clone(), &clock);
    let (app_a, app_b) = (router(&a), router(&b));
    let before = a.create_access_token("alice").unwrap();
    let after = a.create_access_token("bob").unwrap();
    let good = a.create_access_token("carol").unwrap();
    assert_eq!(
        send(&app_a, "POST", "/logout", &before).await.0,
        StatusCode::OK
    );

    server.kill();
    tokio::time::sleep(BOUND + BOUND / 2).await;
    assert!(!b_store.local_view_is_fresh());
    assert_eq!(
        send(&app_b, "GET", "/protected", &good).await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );

    server.restart();
    // A revokes as soon as Redis is back, maybe before B's view is rebuilt.
    assert_eq!(
        send(&app_a, "POST", "/logout", &after).await.0,
        StatusCode::OK
    );
    let took = wait_until_fresh(&b_store, Duration::from_secs(5)).await;
    println!("Redis restarted: the view was rebuilt after {took:?}");
    tokio::time::sleep(BOUND).await;
    for t in [&before, &after] {
        assert_eq!(
            send(&app_b, "GET", "/protected", t).await,
            (StatusCode::UNAUTHORIZED, revoked())
        );
    }
    assert_eq!(
        send(&app_b, "GET", "/protected", &good).await.0,
        StatusCode::OK
    );
}

/// B's subscription is cut and cannot come back (its Redis user is disabled) while A
/// revokes: the event is lost to B. B's view is not trusted after the bound (B asks
/// Redis and refuses), and once B may connect again the rebuilt view has the revocation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocations_missed_while_disconnected_are_in_the_rebuilt_view() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let mut conn = raw(&server).await;
    let acl = |args: &[&str]| {
        let mut cmd = redis::cmd("ACL");
        for a in args {
            cmd.arg(*a);
        }
        cmd
    };
    let () = acl(&["SETUSER", "viewer", "on", ">viewer-pw", "~*", "&*", "+@all"])
        .query_async(&mut conn)
        .await
        .unwrap();
    let clock = real_clock();
    let a = manager(strict_store(&server.url(), &clock).await, &clock);
    let url_b = format!("redis://viewer:viewer-pw@127.0.0.1:{}/", server.port());
    let b_store = view_store(&url_b, &clock).await;
    let b = manager(b_store.clone(), &clock);
    let (app_a, app_b) = (router(&a), router(&b));
    let token = a.create_access_token("alice").unwrap();
    assert_eq!(
        send(&app_b, "GET", "/protected", &token).await.0,
        StatusCode::OK
    );

    let () = acl(&["SETUSER", "viewer", "off"])
        .query_async(&mut conn)
        .await
        .unwrap();
    let killed: i64 = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("TYPE")
        .arg("pubsub")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(killed, 1, "B's subscription");
    assert_eq!(
        send(&app_a, "POST", "/logout", &token).await.0,
        StatusCode::OK
    );
    tokio::time::sleep(BOUND + BOUND / 2).await;
    assert!(!b_store.local_view_is_fresh());
    // (B's own connection for strict checks predates the ACL change and still works)
    assert_eq!(
        send(&app_b, "GET", "/protected", &token).await,
        (StatusCode::UNAUTHORIZED, revoked())
    );

    let () = acl(&["SETUSER", "viewer", "on"])
        .query_async(&mut conn)
        .await
        .unwrap();
    wait_until_fresh(&b_store, Duration::from_secs(5)).await;
    let gets = gets_served(&mut conn).await;
    assert_eq!(
        send(&app_b, "GET", "/protected", &token).await,
        (StatusCode::UNAUTHORIZED, revoked())
    );
    assert_eq!(gets_served(&mut conn).await, gets, "answered by the view");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_view_is_not_trusted() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let until = SystemClock.now().as_secs() + 3600;
    let a = RedisStore::builder(server.url()).build().await.unwrap();
    for i in 0..20 {
        a.revoke(&format!("jti:{i}"), until).await.unwrap();
    }
    let b = RedisStore::builder(server.url())
        .local_cache(BOUND)
        .local_cache_capacity(10)
        .connect_timeout(Duration::from_millis(500))
        .build()
        .await
        .unwrap();
    assert!(!b.local_view_is_fresh());
    // Checks go to Redis, and are right.
    for i in 0..20 {
        assert!(b.check(&[&format!("jti:{i}")], None).await.unwrap().revoked);
    }
    assert!(!b.check(&["jti:other"], None).await.unwrap().revoked);
}

/// Ids and identities are any text: spaces, line breaks and the event separator included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_ids_reach_the_view_verbatim() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let clock = real_clock();
    let a = strict_store(&server.url(), &clock).await;
    let b = view_store(&server.url(), &clock).await;
    let until = SystemClock.now().as_secs() + 3600;
    let not_before = SystemClock.now().as_secs();
    let odd = [
        "jti:a b",
        "jti:x\r\nPUBLISH y z",
        "jti:r 5 jti:other",
        "jti:é ü",
    ];
    for id in odd {
        a.revoke(id, until).await.unwrap();
    }
    a.revoke_user_before("u 1 2 alice bob", not_before, until)
        .await
        .unwrap();
    tokio::time::sleep(BOUND).await;
    assert!(b.local_view_is_fresh());
    for id in odd {
        assert!(b.check(&[id], None).await.unwrap().revoked, "{id:?}");
    }
    for other in ["jti:a", "jti:other", "jti:x"] {
        assert!(!b.check(&[other], None).await.unwrap().revoked, "{other:?}");
    }
    assert_eq!(
        b.check(&[], Some("u 1 2 alice bob"))
            .await
            .unwrap()
            .user_not_before,
        Some(not_before)
    );
    assert_eq!(
        b.check(&[], Some("alice")).await.unwrap().user_not_before,
        None
    );
    // The same after a reload from Redis.
    let c = view_store(&server.url(), &clock).await;
    for id in odd {
        assert!(c.check(&[id], None).await.unwrap().revoked, "{id:?}");
    }
    assert_eq!(
        c.check(&[], Some("u 1 2 alice bob"))
            .await
            .unwrap()
            .user_not_before,
        Some(not_before)
    );
}
