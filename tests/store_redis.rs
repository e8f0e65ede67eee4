//! `RedisStore` against a real `redis-server` in trouble: killed, restarted, frozen, full,
//! holding garbage, misconfigured, shared by two application instances.
#![cfg(feature = "redis")]

use std::sync::Arc;
use std::time::{Duration, Instant};

use jwt_extended::store::{Consumption, RedisStore, RevocationStore, StoreError, StoreErrorKind};
use jwt_extended::{clock::Clock, clock::SystemClock};
use redis_server::RedisServer;

#[path = "common/redis_server.rs"]
mod redis_server;

const PREFIX: &str = "jwt-extended:";

fn now() -> u64 {
    SystemClock.now().as_secs()
}

async fn store(server: &RedisServer) -> RedisStore {
    RedisStore::builder(server.url())
        .build()
        .await
        .expect("build the Redis store")
}

async fn raw(server: &RedisServer) -> redis::aio::MultiplexedConnection {
    redis::Client::open(server.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

fn kind<T: std::fmt::Debug>(result: Result<T, StoreError>) -> StoreErrorKind {
    result.expect_err("an error").kind()
}

/// Polls `check` until it succeeds; returns how long that took.
async fn until_recovered(store: &RedisStore, id: &str) -> Duration {
    let started = Instant::now();
    loop {
        match store.check(&[id], None).await {
            Ok(check) => {
                assert!(check.revoked, "{id} survived the outage");
                return started.elapsed();
            }
            Err(e) if started.elapsed() < Duration::from_secs(10) => {
                assert_eq!(e.kind(), StoreErrorKind::Unavailable, "{e}");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            Err(e) => panic!("the store did not recover within 10 s: {e}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_server_fails_closed_then_recovers_with_its_data() {
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    let store = store(&server).await;
    let until = now() + 3600;
    store.revoke("jti:before-kill", until).await.unwrap();

    server.kill();
    for _ in 0..3 {
        let started = Instant::now();
        let result = store.check(&["jti:before-kill"], None).await;
        let elapsed = started.elapsed();
        assert_eq!(kind(result), StoreErrorKind::Unavailable);
        assert!(elapsed < Duration::from_secs(1), "check took {elapsed:?}");
        println!("server killed: check failed in {elapsed:?}");
    }
    let started = Instant::now();
    let result = store.revoke("jti:during-outage", until).await;
    assert_eq!(kind(result), StoreErrorKind::Unavailable);
    assert!(started.elapsed() < Duration::from_secs(1));
    let result = store
        .consume("fam:x", "jti:during-outage", now(), until)
        .await;
    assert_eq!(kind(result), StoreErrorKind::Unavailable);

    // Same port, same directory: the AOF (fsync always) brings the revocation back, and the
    // same store reconnects by itself.
    server.restart();
    let recovery = until_recovered(&store, "jti:before-kill").await;
    println!("server restarted: the store answered again after {recovery:?}");
    assert!(recovery < Duration::from_secs(3), "{recovery:?}");
    store.revoke("jti:after-restart", until).await.unwrap();
    assert!(
        store
            .check(&["jti:after-restart"], None)
            .await
            .unwrap()
            .revoked
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frozen_server_fails_within_the_timeout_then_recovers() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let store = RedisStore::builder(server.url())
        .timeout(Duration::from_millis(250))
        .build()
        .await
        .unwrap();
    let until = now() + 3600;
    store.revoke("jti:a", until).await.unwrap();

    server.pause();
    let started = Instant::now();
    let checks: Vec<_> = (0..20)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.check(&["jti:a"], None).await })
        })
        .collect();
    for check in checks {
        assert_eq!(kind(check.await.unwrap()), StoreErrorKind::Unavailable);
    }
    let elapsed = started.elapsed();
    println!("server frozen: 20 concurrent checks failed in {elapsed:?}");
    assert!(elapsed >= Duration::from_millis(240), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(1), "{elapsed:?}");
    let started = Instant::now();
    assert_eq!(
        kind(store.revoke("jti:b", until).await),
        StoreErrorKind::Unavailable
    );
    assert!(started.elapsed() < Duration::from_secs(1));

    server.resume();
    let recovery = until_recovered(&store, "jti:a").await;
    println!("server resumed: the store answered again after {recovery:?}");
    assert!(recovery < Duration::from_secs(1), "{recovery:?}");
}

#[tokio::test]
async fn garbage_at_a_key_is_an_error_never_not_revoked() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let store = store(&server).await;
    let mut conn = raw(&server).await;
    let until = now() + 3600;
    let set = |key: String, value: &'static str| redis::cmd("SET").arg(key).arg(value).clone();
    let lpush = |key: String| redis::cmd("LPUSH").arg(key).arg("x").clone();
    for cmd in [
        lpush(format!("{PREFIX}revoked:jti:list")),
        set(format!("{PREFIX}revoked:jti:text"), "yes"),
        redis::cmd("HSET")
            .arg(format!("{PREFIX}user:hash"))
            .arg("f")
            .arg("v")
            .clone(),
        set(format!("{PREFIX}user:text"), "yesterday"),
        set(format!("{PREFIX}user:negative"), "-5"),
        lpush(format!("{PREFIX}used:jti:list")),
        set(format!("{PREFIX}used:jti:text"), "soon"),
        lpush(format!("{PREFIX}last:fam:list")),
    ] {
        let () = cmd.query_async(&mut conn).await.unwrap();
    }
    let corrupt = StoreErrorKind::Corrupt;

    // Checks: WRONGTYPE and unexpected values are errors, even next to a clean id.
    assert_eq!(kind(store.check(&["jti:list"], None).await), corrupt);
    assert_eq!(
        kind(store.check(&["jti:clean", "jti:text"], None).await),
        corrupt
    );
    assert_eq!(kind(store.check(&[], Some("hash")).await), corrupt);
    assert_eq!(kind(store.check(&[], Some("text")).await), corrupt);
    assert_eq!(kind(store.check(&[], Some("negative")).await), corrupt);
    assert!(
        !store
            .check(&["jti:clean"], Some("clean"))
            .await
            .unwrap()
            .revoked
    );

    // Writes over garbage are refused, not papered over.
    assert_eq!(kind(store.revoke("jti:list", until).await), corrupt);
    assert_eq!(kind(store.revoke("jti:text", until).await), corrupt);
    assert_eq!(
        kind(store.revoke_user_before("hash", 1, until).await),
        corrupt
    );
    assert_eq!(
        kind(store.revoke_user_before("text", 1, until).await),
        corrupt
    );
    assert_eq!(
        kind(store.consume("fam:a", "jti:list", 1, until).await),
        corrupt
    );
    assert_eq!(
        kind(store.consume("fam:a", "jti:text", 1, until).await),
        corrupt
    );
    // A garbage family pointer only matters on reuse.
    assert_eq!(
        store.consume("fam:list", "jti:r", 1, until).await.unwrap(),
        Consumption::First
    );
    // (a first use overwrote the list; put one back)
    let () = redis::cmd("DEL")
        .arg(format!("{PREFIX}last:fam:list"))
        .query_async(&mut conn)
        .await
        .unwrap();
    let () = lpush(format!("{PREFIX}last:fam:list"))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        kind(store.consume("fam:list", "jti:r", 1, until).await),
        corrupt
    );
}

#[tokio::test]
async fn eviction_policies_are_refused_unless_allowed() {
    for policy in [
        "allkeys-lru",
        "allkeys-lfu",
        "allkeys-random",
        "volatile-lru",
        "volatile-ttl",
    ] {
        let Some(server) = RedisServer::start_with(&["--maxmemory-policy", policy]) else {
            return;
        };
        let err = RedisStore::builder(server.url()).build().await.unwrap_err();
        assert_eq!(err.kind(), StoreErrorKind::Misconfigured, "{policy}: {err}");
        assert!(err.to_string().contains(policy), "{err}");
        RedisStore::builder(server.url())
            .allow_eviction_policy_dangerously(true)
            .build()
            .await
            .unwrap_or_else(|e| panic!("{policy} allowed: {e}"));
    }
}

#[tokio::test]
async fn a_server_without_config_is_accepted_with_a_warning() {
    let Some(server) = RedisServer::start_with(&["--rename-command", "CONFIG", ""]) else {
        return;
    };
    let store = store(&server).await;
    store.revoke("jti:a", now() + 60).await.unwrap();
    assert!(store.check(&["jti:a"], None).await.unwrap().revoked);
}

/// Why the policy is refused: with `allkeys-lru` and a full server, Redis drops the oldest
/// revocation to make room, and its token is accepted again.
#[tokio::test]
async fn eviction_would_resurrect_a_revoked_token() {
    let Some(server) = RedisServer::start_with(&[
        "--maxmemory",
        "4mb",
        "--maxmemory-policy",
        "allkeys-lru",
        // (more keys sampled per eviction: the oldest goes sooner, the test runs faster)
        "--maxmemory-samples",
        "64",
        "--appendonly",
        "no",
    ]) else {
        return;
    };
    let store = RedisStore::builder(server.url())
        .allow_eviction_policy_dangerously(true)
        .build()
        .await
        .unwrap();
    let until = now() + 3600;
    store.revoke("jti:victim", until).await.unwrap();
    assert!(store.check(&["jti:victim"], None).await.unwrap().revoked);
    let filler = "f".repeat(8000);
    let mut written = 0;
    // (checking the victim after every write would keep it recently used)
    while store.check(&["jti:victim"], None).await.unwrap().revoked {
        assert!(written < 50_000, "nothing was evicted");
        for _ in 0..100 {
            written += 1;
            store
                .revoke(&format!("jti:{written}:{filler}"), until)
                .await
                .unwrap();
        }
    }
    println!("allkeys-lru: the first revocation was evicted after {written} more");
}

#[tokio::test]
async fn a_full_server_refuses_revocations() {
    let Some(server) = RedisServer::start_with(&["--maxmemory", "3mb", "--appendonly", "no"])
    else {
        return;
    };
    let store = store(&server).await;
    let until = now() + 3600;
    store.revoke("jti:kept", until).await.unwrap();
    let filler = "f".repeat(1000);
    let mut written = 0;
    let err = loop {
        written += 1;
        assert!(written < 50_000, "Redis never ran out of memory");
        if let Err(e) = store
            .revoke(&format!("jti:{written}:{filler}"), until)
            .await
        {
            break e;
        }
    };
    assert_eq!(err.kind(), StoreErrorKind::Capacity, "{err}");
    // Memory use hovers at the limit: a small write may fit, and is refused if it does not.
    if let Err(e) = store.consume("fam:a", "jti:new", 1, until).await {
        assert_eq!(e.kind(), StoreErrorKind::Capacity, "{e}");
    }
    println!("noeviction: Redis refused a revocation after {written} 1 KB ones: {err}");
    // Nothing was dropped: reads still work and still see everything.
    assert!(store.check(&["jti:kept"], None).await.unwrap().revoked);
    let first_filler = format!("jti:1:{filler}");
    assert!(store.check(&[&first_filler], None).await.unwrap().revoked);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_share_revocations_and_consumptions() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let a = Arc::new(store(&server).await);
    let b = Arc::new(store(&server).await);
    let now = now();
    let until = now + 3600;

    a.revoke("jti:1", until).await.unwrap();
    assert!(b.check(&["jti:1"], None).await.unwrap().revoked);
    b.revoke_user_before("alice", now, until).await.unwrap();
    assert_eq!(
        a.check(&[], Some("alice")).await.unwrap().user_not_before,
        Some(now)
    );

    // The refresh race across instances: 50 requests, split over A and B, one winner.
    let barrier = Arc::new(tokio::sync::Barrier::new(50));
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let store = if i % 2 == 0 { a.clone() } else { b.clone() };
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                store.consume("fam:f", "jti:r1", now, until).await.unwrap()
            })
        })
        .collect();
    let mut first = 0;
    for task in tasks {
        match task.await.unwrap() {
            Consumption::First => first += 1,
            Consumption::Reused {
                first_used_at,
                latest,
            } => {
                assert_eq!(first_used_at, now);
                assert!(latest);
            }
        }
    }
    assert_eq!(first, 1);

    // Different prefixes are different stores.
    let other = RedisStore::builder(server.url())
        .key_prefix("other-app:")
        .build()
        .await
        .unwrap();
    assert!(!other.check(&["jti:1"], None).await.unwrap().revoked);
}

#[tokio::test]
async fn values_are_arguments_never_command_text() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let store = store(&server).await;
    let mut conn = raw(&server).await;
    let until = now() + 3600;
    let id = "jti:x\r\nSET injected 1\r\n";
    store.revoke(id, until).await.unwrap();
    store.revoke_user_before(id, 5, until).await.unwrap();
    store.consume(id, id, 5, until).await.unwrap();
    let mut keys: Vec<Vec<u8>> = redis::cmd("KEYS")
        .arg("*")
        .query_async(&mut conn)
        .await
        .unwrap();
    keys.sort();
    let expected: Vec<Vec<u8>> = ["last:", "revoked:", "used:", "user:"]
        .iter()
        .map(|kind| format!("{PREFIX}{kind}{id}").into_bytes())
        .collect();
    assert_eq!(keys, expected);
}

#[tokio::test]
async fn scripts_are_reloaded_after_a_flush() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let store = store(&server).await;
    let mut conn = raw(&server).await;
    let until = now() + 3600;
    store.revoke("jti:a", until).await.unwrap();
    let () = redis::cmd("SCRIPT")
        .arg("FLUSH")
        .query_async(&mut conn)
        .await
        .unwrap();
    store.revoke("jti:b", until).await.unwrap();
    assert!(store.check(&["jti:b"], None).await.unwrap().revoked);
}

#[tokio::test]
async fn replicas_are_refused_and_waited_for() {
    // (no pause before a full sync: Redis 7 waits 5 s for more replicas by default)
    let Some(primary) = RedisServer::start_with(&["--repl-diskless-sync-delay", "0"]) else {
        return;
    };
    // A store that needs one replica's acknowledgement fails while there is none.
    let waiting = RedisStore::builder(primary.url())
        .timeout(Duration::from_millis(500))
        .wait_for_replicas(1, Duration::from_millis(100))
        .build()
        .await
        .unwrap();
    let until = now() + 3600;
    let started = Instant::now();
    let err = waiting.revoke("jti:a", until).await.unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::Unavailable, "{err}");
    assert!(started.elapsed() < Duration::from_millis(500));
    assert_eq!(
        kind(waiting.revoke_user_before("alice", 1, until).await),
        StoreErrorKind::Unavailable
    );

    let port = primary.port().to_string();
    let Some(replica) = RedisServer::start_with(&["--replicaof", "127.0.0.1", &port]) else {
        return;
    };
    let err = RedisStore::builder(replica.url())
        .build()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::Misconfigured, "{err}");

    // Once the replica is in sync, writes are acknowledged.
    let started = Instant::now();
    loop {
        match waiting.revoke("jti:b", until).await {
            Ok(()) => break,
            Err(e) if started.elapsed() < Duration::from_secs(10) => {
                assert_eq!(e.kind(), StoreErrorKind::Unavailable);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("the replica never acknowledged: {e}"),
        }
    }
    let mut replica_conn = raw(&replica).await;
    let on_replica: Option<String> = redis::cmd("GET")
        .arg(format!("{PREFIX}revoked:jti:b"))
        .query_async(&mut replica_conn)
        .await
        .unwrap();
    assert_eq!(on_replica.as_deref(), Some("1"));
}

#[tokio::test]
async fn build_errors() {
    // Nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let started = Instant::now();
    let err = RedisStore::builder(format!("redis://127.0.0.1:{port}/"))
        .connect_timeout(Duration::from_millis(300))
        .build()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::Unavailable, "{err}");
    assert!(started.elapsed() < Duration::from_secs(1));

    let err = RedisStore::builder("http://example.com/")
        .build()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::Misconfigured);
    let err = RedisStore::builder("redis://127.0.0.1/")
        .timeout(Duration::from_millis(100))
        .wait_for_replicas(1, Duration::from_millis(100))
        .build()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::Misconfigured);

    // No password in Debug output.
    let builder = RedisStore::builder("redis://user:hunter2@127.0.0.1:6379/0");
    let debug = format!("{builder:?}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(debug.contains("127.0.0.1:6379"), "{debug}");
}
