//! `RedisStore` through the guards when the Redis server's clock disagrees with the
//! application's (datefudge), and when Redis restarts while an instance is idle.
#![cfg(feature = "redis")]

mod common;

use std::time::{Duration, Instant};

use common::SECRET;
use guard_app::{revoked, router, send};
use http::StatusCode;
use jwt_extended::JwtManager;
use jwt_extended::store::RedisStore;
use redis_server::RedisServer;

#[path = "common/guard_app.rs"]
mod guard_app;
#[path = "common/redis_server.rs"]
mod redis_server;

/// Short-lived tokens: a revocation is kept 30 + 30 s, less than the skew.
async fn short_lived_manager(server: &RedisServer) -> JwtManager {
    let store = RedisStore::builder(server.url())
        .build()
        .await
        .expect("redis store");
    JwtManager::builder()
        .secret(SECRET)
        .access_expires(time::Duration::seconds(30))
        .refresh_expires(time::Duration::seconds(30))
        .revocation_skew_margin(30)
        .refresh_rotation(Duration::ZERO)
        .revocation_store(store)
        .build()
        .unwrap()
}

/// The server's own clock, as its `TIME` reads it.
async fn server_time(conn: &mut redis::aio::MultiplexedConnection) -> u64 {
    let (secs, _micros): (u64, u64) = redis::cmd("TIME").query_async(conn).await.unwrap();
    secs
}

async fn revocations_hold_under_skew(offset: i64) {
    let Some(server) = RedisServer::start_skewed(offset) else {
        return;
    };
    let mut raw = redis::Client::open(server.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let now = jwt_extended::clock::Clock::now(&jwt_extended::clock::SystemClock).as_secs();
    let skew = i64::try_from(server_time(&mut raw).await).unwrap() - i64::try_from(now).unwrap();
    assert!(
        (skew - offset).abs() <= 5,
        "datefudge did not skew the server's clock: {skew} s, wanted {offset} s"
    );

    let m = short_lived_manager(&server).await;
    let app = router(&m);

    // Logout answers 200, and the token is refused afterwards.
    let pair = m.token_pair("alice").create().unwrap();
    assert_eq!(
        send(&app, "GET", "/protected", &pair.access_token).await.0,
        StatusCode::OK
    );
    assert_eq!(
        send(&app, "POST", "/logout", &pair.access_token).await.0,
        StatusCode::OK
    );
    assert_eq!(
        send(&app, "GET", "/protected", &pair.access_token).await,
        (StatusCode::UNAUTHORIZED, revoked())
    );

    // Refresh reuse is still detected.
    let (s, first) = send(&app, "POST", "/refresh", &pair.refresh_token).await;
    assert_eq!(s, StatusCode::OK, "{first}");
    assert_eq!(
        send(&app, "POST", "/refresh", &pair.refresh_token).await,
        (StatusCode::UNAUTHORIZED, revoked())
    );
    let rotated = first["refresh_token"].as_str().unwrap();
    assert_eq!(
        send(&app, "POST", "/refresh", rotated).await,
        (StatusCode::UNAUTHORIZED, revoked()),
        "the reuse revoked the family"
    );

    // Every key lives as long as the application asked (30 s + 30 s margin), by Redis's
    // own clock: neither dropped early nor kept two minutes too long.
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("jwt-extended:*")
        .query_async(&mut raw)
        .await
        .unwrap();
    assert!(keys.len() >= 4, "{keys:?}");
    for key in keys {
        let pttl: i64 = redis::cmd("PTTL")
            .arg(&key)
            .query_async(&mut raw)
            .await
            .unwrap();
        assert!(
            (50_000..=61_000).contains(&pttl),
            "{key}: kept {pttl} ms, wanted about 60 000 with Redis {offset:+} s"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocations_hold_with_the_redis_clock_ahead() {
    revocations_hold_under_skew(120).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocations_hold_with_the_redis_clock_behind() {
    revocations_hold_under_skew(-120).await;
}

/// Kills Redis while the instance is idle and starts it again after `down`; the first
/// requests after that (`concurrent` at once) must all succeed.
async fn first_requests_after_a_restart_succeed(down: Duration, concurrent: usize) {
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    let store = RedisStore::builder(server.url())
        .build()
        .await
        .expect("redis store");
    let m = JwtManager::builder()
        .secret(SECRET)
        .revocation_store(store)
        .build()
        .unwrap();
    let app = router(&m);
    let token = m.create_access_token("alice").unwrap();
    let revoked_token = m.create_access_token("mallory").unwrap();
    assert_eq!(
        send(&app, "POST", "/logout", &revoked_token).await.0,
        StatusCode::OK
    );
    assert_eq!(
        send(&app, "GET", "/protected", &token).await.0,
        StatusCode::OK
    );

    server.kill();
    tokio::time::sleep(down).await;
    server.restart();
    // (idle for a moment after the restart, as a real instance would be)
    tokio::time::sleep(Duration::from_millis(50)).await;

    let started = Instant::now();
    let requests: Vec<_> = (0..concurrent)
        .map(|_| {
            let (app, token) = (app.clone(), token.clone());
            tokio::spawn(async move { send(&app, "GET", "/protected", &token).await.0 })
        })
        .collect();
    for request in requests {
        assert_eq!(request.await.unwrap(), StatusCode::OK);
    }
    println!(
        "down {down:?}: {concurrent} first request(s) after the restart succeeded in {:?}",
        started.elapsed()
    );
    // The revocation survived (AOF) and is still enforced.
    assert_eq!(
        send(&app, "GET", "/protected", &revoked_token).await,
        (StatusCode::UNAUTHORIZED, revoked())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_request_after_a_quick_restart_succeeds() {
    first_requests_after_a_restart_succeed(Duration::ZERO, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_first_requests_after_a_long_outage_succeed() {
    first_requests_after_a_restart_succeed(Duration::from_secs(3), 20).await;
}
