//! H and I. Revocation and store faults at the guard (cases 50, 51, 54–58). The stores
//! themselves: `tests/store.rs` (every backend) and `tests/store_redis.rs` (a real
//! `redis-server` killed, frozen, full, holding garbage). Cases 52 and 53 (refresh-token
//! rotation) are not part of this battery.

use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use axum::Router;
use jwt_extended::store::{
    Check, Consumption, MemoryStore, RedisStore, RevocationStore, StoreError, StoreErrorKind,
};
use jwt_extended::{DecodedToken, ErrorKind, JwtManager};
use serde_json::json;
use time::Duration;

use crate::redis_server::RedisServer;
use crate::support::*;

const REVOKED: &str = "Token has been revoked";
const UNAVAILABLE: &str = "Token revocation status unavailable";

/// Case 50: revoked is 401 "Token has been revoked"; revoked and expired is "Token has
/// expired" (FJE checks `exp` first), for access and refresh tokens alike.
#[tokio::test]
async fn case_50_revoked_then_expired() {
    let clock = clock();
    let m = builder(&clock)
        .revocation_store(MemoryStore::new().with_clock(clock.clone()))
        .build()
        .unwrap();
    let app = app(&m);
    let t = m.create_access_token("alice").unwrap();
    let other = m.create_access_token("alice").unwrap();
    accepts(&app, &t, "alice").await;
    m.revoke_token(&m.decode_token(&t).unwrap()).await.unwrap();
    rejects(&app, &t, 401, REVOKED).await;
    accepts(&app, &other, "alice").await;
    let refresh = m.create_refresh_token("alice").unwrap();
    m.revoke_token(&m.decode_token(&refresh).unwrap())
        .await
        .unwrap();
    let req = request(http::Method::POST, "/refresh")
        .header("authorization", format!("Bearer {refresh}"))
        .body(axum::body::Body::empty())
        .unwrap();
    expect(&send_with(&app, req, &refresh).await, 401, REVOKED);
    clock.advance(StdDuration::from_secs(900));
    rejects(&app, &t, 401, "Token has expired").await;
    // The blocklist callback answers the same way.
    let banned = builder(&clock)
        .blocklist(|t: &DecodedToken| t.subject() == Some("banned"))
        .build()
        .unwrap();
    let t = banned.create_access_token("banned").unwrap();
    rejects(&crate::support::app(&banned), &t, 401, REVOKED).await;
}

/// Case 51: a revocation outlives the leeway. With leeway 60 s a token with `exp = now+5`
/// is still valid at `exp+30`, so its revocation must still be there; a lifetime of
/// `exp - now` would have dropped it.
#[tokio::test]
async fn case_51_revocation_outlives_leeway() {
    let clock = clock();
    let store = MemoryStore::new().with_clock(clock.clone());
    let m = builder(&clock)
        .leeway(60)
        .revocation_store(store)
        .build()
        .unwrap();
    let app = app(&m);
    let t = m
        .access_token("alice")
        .expires_in(Duration::seconds(5))
        .create()
        .unwrap();
    let twin = m
        .access_token("alice")
        .expires_in(Duration::seconds(5))
        .create()
        .unwrap();
    m.revoke_token(&m.decode_token(&t).unwrap()).await.unwrap();
    clock.advance(StdDuration::from_secs(5 + 30));
    rejects(&app, &t, 401, REVOKED).await;
    accepts(&app, &twin, "alice").await;
    clock.advance(StdDuration::from_secs(29));
    rejects(&app, &t, 401, REVOKED).await;
    clock.advance(StdDuration::from_secs(1));
    rejects(&app, &t, 401, "Token has expired").await;
}

/// Case 54: two instances sharing one store: what A revokes, B refuses on its very next
/// request. In memory (one process) and, when `redis-server` is available, through Redis
/// with a connection per instance. Store level: `store_redis::two_instances_share_revocations_and_consumptions`.
#[tokio::test]
async fn case_54_cross_instance_revocation() {
    let clock = clock();
    let shared: Arc<dyn RevocationStore> = Arc::new(MemoryStore::new().with_clock(clock.clone()));
    let a = builder(&clock)
        .revocation_store_shared(shared.clone())
        .build()
        .unwrap();
    let b = builder(&clock)
        .revocation_store_shared(shared)
        .build()
        .unwrap();
    let t = a.create_access_token("alice").unwrap();
    let app_b = app(&b);
    accepts(&app_b, &t, "alice").await;
    a.revoke_token(&a.decode_token(&t).unwrap()).await.unwrap();
    rejects(&app_b, &t, 401, REVOKED).await;

    let Some(server) = RedisServer::start() else {
        return;
    };
    let a = redis_manager(&server).await;
    let b = redis_manager(&server).await;
    let app_b = app(&b);
    let t = a.create_access_token("alice").unwrap();
    accepts(&app_b, &t, "alice").await;
    a.revoke_token(&a.decode_token(&t).unwrap()).await.unwrap();
    rejects(&app_b, &t, 401, REVOKED).await;
}

async fn redis_manager(server: &RedisServer) -> JwtManager {
    let store = RedisStore::builder(server.url()).build().await.unwrap();
    JwtManager::builder()
        .secret(SECRET)
        .revocation_store(store)
        .build()
        .unwrap()
}

/// A store that fails every call the way `kind` says.
#[derive(Debug)]
struct Failing(StoreErrorKind);

#[async_trait::async_trait]
impl RevocationStore for Failing {
    async fn revoke(&self, _: &str, _: u64) -> Result<(), StoreError> {
        Err(StoreError::new(self.0, "down"))
    }
    async fn revoke_user_before(&self, _: &str, _: u64, _: u64) -> Result<(), StoreError> {
        Err(StoreError::new(self.0, "down"))
    }
    async fn check(&self, _: &[&str], _: Option<&str>) -> Result<Check, StoreError> {
        Err(StoreError::new(self.0, "down"))
    }
    async fn consume(&self, _: &str, _: &str, _: u64, _: u64) -> Result<Consumption, StoreError> {
        Err(StoreError::new(self.0, "down"))
    }
}

async fn unavailable(app: &Router, token: &str) {
    let answer = send_checked(app, bearer_get("/protected", token), &[token], true).await;
    assert_eq!(answer.msg(), (503, UNAVAILABLE));
    assert!(
        !answer.body.to_string().contains("down"),
        "the cause is not sent"
    );
}

/// Case 55: a store that is down refuses every request with 503 (never lets one through),
/// and `revoke_token` returns an error, never Ok. With Redis: killed, then restarted with
/// its data; the same manager recovers without a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_55_store_down_fails_closed() {
    let clock = clock();
    let m = builder(&clock)
        .revocation_store(Failing(StoreErrorKind::Unavailable))
        .build()
        .unwrap();
    let app = app(&m);
    for _ in 0..3 {
        let t = m.create_access_token("alice").unwrap();
        unavailable(&app, &t).await;
    }
    let t = m.create_access_token("alice").unwrap();
    let e = m
        .revoke_token(&m.decode_token(&t).unwrap())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unavailable);
    // A route that skips the revocation check is not affected.
    let skip = Router::new()
        .route("/protected", axum::routing::get(|| async { "ok" }))
        .route_layer(jwt_extended::RequireJwtLayer::access(&m).skip_revocation_check());
    assert_eq!(
        send_with(&skip, bearer_get("/protected", &t), &t)
            .await
            .status,
        200
    );

    let Some(mut server) = RedisServer::start() else {
        return;
    };
    let m = redis_manager(&server).await;
    let app = crate::support::app(&m);
    let revoked = m.create_access_token("alice").unwrap();
    let fine = m.create_access_token("alice").unwrap();
    m.revoke_token(&m.decode_token(&revoked).unwrap())
        .await
        .unwrap();
    server.kill();
    for t in [&revoked, &fine] {
        let started = Instant::now();
        unavailable(&app, t).await;
        assert!(started.elapsed() < StdDuration::from_secs(1));
    }
    let e = m
        .revoke_token(&m.decode_token(&fine).unwrap())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unavailable);
    server.restart();
    let answer = wait_until_answered(&app, &fine).await;
    assert_eq!(answer.sub(), (200, json!("alice")));
    rejects(&app, &revoked, 401, REVOKED).await;
}

/// Sends `token` until the answer is not a 503 (at most 10 s).
async fn wait_until_answered(app: &Router, token: &str) -> Answer {
    let started = Instant::now();
    loop {
        let answer = send_checked(app, bearer_get("/protected", token), &[token], true).await;
        if answer.status != 503 || started.elapsed() > StdDuration::from_secs(10) {
            return answer;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
}

/// Case 56: a blackholed store (`SIGSTOP`) answers 503 within the store's timeout, for
/// concurrent requests too, and recovers on `SIGCONT`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_56_store_blackholed() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let store = RedisStore::builder(server.url())
        .timeout(StdDuration::from_millis(250))
        .build()
        .await
        .unwrap();
    let m = JwtManager::builder()
        .secret(SECRET)
        .revocation_store(store)
        .build()
        .unwrap();
    let app = app(&m);
    let t = m.create_access_token("alice").unwrap();
    accepts(&app, &t, "alice").await;
    server.pause();
    let started = Instant::now();
    let requests: Vec<_> = (0..10)
        .map(|_| {
            let app = app.clone();
            let t = t.clone();
            tokio::spawn(async move { unavailable(&app, &t).await })
        })
        .collect();
    for r in requests {
        r.await.unwrap();
    }
    let elapsed = started.elapsed();
    assert!(elapsed < StdDuration::from_secs(1), "{elapsed:?}");
    server.resume();
    let answer = wait_until_answered(&app, &t).await;
    assert_eq!(answer.sub(), (200, json!("alice")));
}

/// Case 57: with AOF and `appendfsync always` (the test servers' settings), a revocation
/// survives a Redis restart. Store level, with eviction: `store_redis::eviction_*`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_57_revocation_survives_restart() {
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    let m = redis_manager(&server).await;
    let app = app(&m);
    let t = m.create_access_token("alice").unwrap();
    m.revoke_token(&m.decode_token(&t).unwrap()).await.unwrap();
    server.restart();
    let answer = wait_until_answered(&app, &t).await;
    assert_eq!(answer.msg(), (401, REVOKED));
    // A fresh instance (new connection) agrees.
    let other = redis_manager(&server).await;
    rejects(&crate::support::app(&other), &t, 401, REVOKED).await;
}

/// Case 58: a store answering nonsense is a 503, never "not revoked"; a `jti` with CR, LF
/// and spaces is stored and matched verbatim (a prefix of it is a different id). With
/// Redis: a value of the wrong type at the token's key. Store level:
/// `store_redis::garbage_at_a_key_is_an_error_never_not_revoked`, `store::odd_ids_are_stored_verbatim`.
#[tokio::test]
async fn case_58_garbage_and_odd_ids() {
    let clock = clock();
    let m = builder(&clock)
        .revocation_store(Failing(StoreErrorKind::Corrupt))
        .build()
        .unwrap();
    unavailable(&app(&m), &m.create_access_token("alice").unwrap()).await;

    let m = builder(&clock)
        .revocation_store(MemoryStore::new().with_clock(clock.clone()))
        .build()
        .unwrap();
    let app = app(&m);
    let odd = sign_claims(&claims_with("jti", json!("a\r\nDEL x b c")));
    let prefix = sign_claims(&claims_with("jti", json!("a")));
    let spaced = sign_claims(&claims_with("jti", json!("a\r\nDEL x b c ")));
    m.revoke_token(&m.decode_token(&odd).unwrap())
        .await
        .unwrap();
    rejects(&app, &odd, 401, REVOKED).await;
    accepts(&app, &prefix, "alice").await;
    accepts(&app, &spaced, "alice").await;

    let Some(server) = RedisServer::start() else {
        return;
    };
    let m = redis_manager(&server).await;
    let app = crate::support::app(&m);
    let t = m.create_access_token("alice").unwrap();
    let jti = m.decode_token(&t).unwrap().jti().unwrap().to_owned();
    let mut raw = redis::Client::open(server.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let key = format!("{}revoked:jti:{jti}", RedisStore::DEFAULT_PREFIX);
    let _: () = redis::cmd("LPUSH")
        .arg(&key)
        .arg("x")
        .query_async(&mut raw)
        .await
        .unwrap();
    unavailable(&app, &t).await;
    // The odd id through Redis (on the test clock, which the crafted tokens follow).
    let on_clock = JwtManager::builder()
        .secret(SECRET)
        .clock(clock.clone())
        .revocation_store(RedisStore::builder(server.url()).build().await.unwrap())
        .build()
        .unwrap();
    on_clock
        .revoke_token(&on_clock.decode_token(&odd).unwrap())
        .await
        .unwrap();
    let on_clock_app = crate::support::app(&on_clock);
    rejects(&on_clock_app, &odd, 401, REVOKED).await;
    accepts(&on_clock_app, &prefix, "alice").await;
    accepts(&on_clock_app, &spaced, "alice").await;
}

/// Found while writing case 50: "log out everywhere" (`revoke_all_for_identity`) spares
/// a token issued earlier in the same second. `iat` is whole seconds (floored) and the
/// cut-off is the current whole second, compared with `iat < not_before`, so a token stolen
/// at 12:00:00.2 survives a password change at 12:00:00.7 for its whole lifetime.
#[tokio::test]
async fn finding_revoke_all_spares_tokens_from_the_same_second() {
    let clock = clock();
    clock.advance(StdDuration::from_millis(200));
    let m = builder(&clock)
        .revocation_store(MemoryStore::new().with_clock(clock.clone()))
        .build()
        .unwrap();
    let app = app(&m);
    let stolen = m.create_access_token("alice").unwrap();
    let earlier = {
        clock.rewind(StdDuration::from_secs(1));
        let t = m.create_access_token("alice").unwrap();
        clock.advance(StdDuration::from_secs(1));
        t
    };
    clock.advance(StdDuration::from_millis(500));
    m.revoke_all_for_identity("alice").await.unwrap();
    rejects(&app, &earlier, 401, REVOKED).await;
    rejects(&app, &stolen, 401, REVOKED).await;
}
