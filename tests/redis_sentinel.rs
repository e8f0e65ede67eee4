//! `RedisStore` following a Sentinel-managed primary: a real primary, a replica and three
//! Sentinels on loopback ports; a failover (forced with `SENTINEL FAILOVER`, or by killing
//! the primary). The store reaches the new primary within 10 s, and a revocation
//! acknowledged with `wait_for_replicas` before the failover is still enforced after it.
#![cfg(feature = "redis")]

mod common;

use std::time::{Duration, Instant};

use common::SECRET;
use guard_app::{revoked, router, send};
use http::StatusCode;
use jwt_extended::store::{RedisStore, RevocationStore, StoreErrorKind};
use jwt_extended::{JwtManager, clock::Clock, clock::SystemClock};
use redis_server::{RedisServer, Sentinel};

#[path = "common/guard_app.rs"]
mod guard_app;
#[path = "common/redis_server.rs"]
mod redis_server;

const MASTER: &str = "mymaster";

struct Cluster {
    primary: RedisServer,
    replica: RedisServer,
    sentinels: Vec<Sentinel>,
}

async fn conn(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

/// Runs `cmd` on `url` over a new connection, again while the connection fails, for at
/// most 10 s: during a failover the Sentinels close the clients of the servers they
/// reconfigure (`CLIENT KILL TYPE normal`), and a restarted server refuses connections for
/// a moment. Any other error fails the test.
async fn query<T: redis::FromRedisValue>(url: &str, cmd: &redis::Cmd) -> T {
    let started = Instant::now();
    loop {
        let answer = async {
            let mut conn = redis::Client::open(url)?
                .get_multiplexed_async_connection()
                .await?;
            cmd.query_async(&mut conn).await
        }
        .await;
        match answer {
            Ok(value) => return value,
            Err(e)
                if e.is_io_error()
                    || e.is_connection_dropped()
                    || e.is_connection_refusal()
                    || e.is_timeout() =>
            {
                assert!(
                    started.elapsed() < Duration::from_secs(10),
                    "{url}: {e} for 10 s"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("{url}: {e}"),
        }
    }
}

async fn info(url: &str, section: &str) -> String {
    query(url, redis::cmd("INFO").arg(section)).await
}

async fn eventually(what: &str, within: Duration, mut ok: impl AsyncFnMut() -> bool) {
    let started = Instant::now();
    while !ok().await {
        assert!(started.elapsed() < within, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A primary, a replica in sync with it, and three Sentinels that know both.
async fn cluster() -> Option<Cluster> {
    // (no pause before a full sync: Redis 7 waits 5 s for more replicas by default)
    let primary = RedisServer::start_with(&["--repl-diskless-sync-delay", "0"])?;
    let port = primary.port().to_string();
    let replica = RedisServer::start_with(&[
        "--replicaof",
        "127.0.0.1",
        &port,
        "--repl-diskless-sync-delay",
        "0",
    ])?;
    let replica_url = replica.url();
    eventually("replica in sync", Duration::from_secs(10), async || {
        info(&replica_url, "replication")
            .await
            .contains("master_link_status:up")
    })
    .await;
    let sentinels: Vec<Sentinel> = (0..3)
        .map(|_| Sentinel::start(MASTER, primary.port()))
        .collect::<Option<_>>()?;
    for sentinel in &sentinels {
        let url = sentinel.url();
        eventually(
            "the sentinels know the replica and each other",
            Duration::from_secs(20),
            async || {
                let master: Vec<redis::Value> =
                    query(&url, redis::cmd("SENTINEL").arg("master").arg(MASTER)).await;
                let field = |name: &str| {
                    master
                        .chunks(2)
                        .find(|kv| matches!(&kv[0], redis::Value::BulkString(k) if k == name.as_bytes()))
                        .and_then(|kv| match &kv[1] {
                            redis::Value::BulkString(v) => String::from_utf8(v.clone()).ok(),
                            _ => None,
                        })
                        .unwrap_or_default()
                };
                field("num-slaves") == "1" && field("num-other-sentinels") == "2"
            },
        )
        .await;
    }
    Some(Cluster {
        primary,
        replica,
        sentinels,
    })
}

async fn role(url: &str) -> String {
    let role: Vec<redis::Value> = query(url, &redis::cmd("ROLE")).await;
    match &role[0] {
        redis::Value::BulkString(r) => String::from_utf8_lossy(r).into_owned(),
        other => format!("{other:?}"),
    }
}

async fn store(cluster: &Cluster, local_view: bool) -> RedisStore {
    let mut builder =
        RedisStore::sentinel_builder(cluster.sentinels.iter().map(Sentinel::addr), MASTER)
            // Generous: a replica's acknowledgement must not miss its window on a loaded
            // machine, or the revocation before the failover is (rightly) refused.
            .timeout(Duration::from_millis(3000))
            .wait_for_replicas(1, Duration::from_millis(2000));
    if local_view {
        builder = builder.local_cache(Duration::from_millis(250));
    }
    builder.build().await.expect("store through the sentinels")
}

/// Revokes `token` until Redis acknowledges it (a write the replica did not confirm in
/// time is an error, and is sent again), for at most `within`; returns how long it took.
async fn revoke_until_acknowledged(m: &JwtManager, token: &str, within: Duration) -> Duration {
    let decoded = m.decode_token(token).unwrap();
    let started = Instant::now();
    loop {
        let err = match m.revoke_token(&decoded).await {
            Ok(()) => return started.elapsed(),
            Err(e) => e,
        };
        assert!(err.is_unavailable(), "{err}");
        assert!(
            started.elapsed() < within,
            "not acknowledged within {within:?} of the failover: {err:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn failover_keeps_acknowledged_revocations(kill_the_primary: bool) {
    let Some(mut cluster) = cluster().await else {
        return;
    };
    let a = JwtManager::builder()
        .secret(SECRET)
        .revocation_store(store(&cluster, false).await)
        .build()
        .unwrap();
    // C does not wait for replicas: its writes show when the store reaches the new
    // primary, before any replica has attached to it.
    let c = RedisStore::sentinel_builder(cluster.sentinels.iter().map(Sentinel::addr), MASTER)
        .timeout(Duration::from_millis(1000))
        .build()
        .await
        .unwrap();
    let b_store = store(&cluster, true).await;
    assert!(b_store.local_view_is_fresh());
    let b = JwtManager::builder()
        .secret(SECRET)
        .revocation_store(b_store.clone())
        .build()
        .unwrap();
    let (app_a, app_b) = (router(&a), router(&b));
    let before = a.create_access_token("alice").unwrap();
    let after = a.create_access_token("bob").unwrap();
    let good = a.create_access_token("carol").unwrap();
    // Acknowledged by the primary and (WAIT) the replica.
    assert_eq!(
        send(&app_a, "POST", "/logout", &before).await.0,
        StatusCode::OK
    );

    let started = Instant::now();
    if kill_the_primary {
        cluster.primary.kill();
    } else {
        let () = redis::cmd("SENTINEL")
            .arg("FAILOVER")
            .arg(MASTER)
            .query_async(&mut conn(&cluster.sentinels[0].url()).await)
            .await
            .unwrap();
    }
    let replica_url = cluster.replica.url();
    eventually(
        "the replica promoted",
        Duration::from_secs(15),
        async || role(&replica_url).await == "master",
    )
    .await;
    let promoted = started.elapsed();
    if kill_the_primary {
        // Back as a replica of the new primary, so that WAIT 1 can be acknowledged.
        cluster.primary.restart();
    }

    // Until C's writes land on the new primary (a write to the old one, before the
    // Sentinels demote it, is lost when it resyncs: that is what `wait_for_replicas` is for).
    let mut probes = 0;
    let reached = {
        let started = Instant::now();
        loop {
            probes += 1;
            let id = format!("jti:probe-{probes}");
            if c.revoke(&id, SystemClock.now().as_secs() + 600)
                .await
                .is_ok()
            {
                let get = redis::cmd("GET")
                    .arg(format!("jwt-extended:revoked:{id}"))
                    .clone();
                let on_new: Option<String> = query(&replica_url, &get).await;
                if on_new.is_some() {
                    break started.elapsed();
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "the store did not reach the new primary within 10 s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    // (a replica attaches to the new primary when the Sentinels reconfigure the old one)
    let acknowledged = revoke_until_acknowledged(&a, &after, Duration::from_secs(30)).await;
    println!(
        "{}: replica promoted after {promoted:?}; the store wrote to the new primary \
         {reached:?} later, with a replica's acknowledgement {acknowledged:?} later",
        if kill_the_primary {
            "primary killed"
        } else {
            "SENTINEL FAILOVER"
        }
    );

    // The new primary has both revocations; A and B refuse both tokens.
    for t in [&before, &after] {
        let jti = a.decode_token(t).unwrap().jti().unwrap().to_owned();
        let get = redis::cmd("GET")
            .arg(format!("jwt-extended:revoked:jti:{jti}"))
            .clone();
        let kept: Option<String> = query(&replica_url, &get).await;
        assert_eq!(kept.as_deref(), Some("1"));
    }
    eventually(
        "B's view rebuilt on the new primary",
        Duration::from_secs(10),
        async || b_store.local_view_is_fresh(),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(250)).await;
    for app in [&app_a, &app_b] {
        for t in [&before, &after] {
            assert_eq!(
                send(app, "GET", "/protected", t).await,
                (StatusCode::UNAUTHORIZED, revoked())
            );
        }
        assert_eq!(
            send(app, "GET", "/protected", &good).await.0,
            StatusCode::OK
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sentinel_failover_keeps_acknowledged_revocations() {
    failover_keeps_acknowledged_revocations(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_primary_keeps_acknowledged_revocations() {
    failover_keeps_acknowledged_revocations(true).await;
}

#[tokio::test]
async fn sentinel_errors() {
    // No sentinel at all.
    let err = RedisStore::sentinel_builder(Vec::<String>::new(), MASTER)
        .build()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::Misconfigured, "{err}");
    // Nothing listens there: unavailable within the connect timeout.
    let port = redis_server::free_port();
    let started = Instant::now();
    let err = RedisStore::sentinel_builder([format!("127.0.0.1:{port}")], MASTER)
        .connect_timeout(Duration::from_millis(300))
        .build()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::Unavailable, "{err}");
    assert!(started.elapsed() < Duration::from_secs(1));
    // No password in Debug output.
    let builder = RedisStore::sentinel_builder(["redis://:hunter2@127.0.0.1:26379/"], MASTER);
    let debug = format!("{builder:?}");
    assert!(!debug.contains("hunter2"), "{debug}");
}
