//! The Redis store's local view: how long a revocation made on instance A takes to be
//! refused by instance B's view (propagation latency, p50/p99/max), and what the view
//! costs in memory per revoked token. Starts its own `redis-server` on a free loopback
//! port.
//!
//! ```sh
//! cargo bench --bench redis_view
//! ```
//!
//! Latency: A (a strict `RedisStore`) revokes a new `jti:<uuid>`; from the moment A's
//! `revoke` returns (Redis acknowledged it), B (a `RedisStore` with `local_cache(50 ms)`)
//! checks the id in a loop until its view says "revoked". Only samples during which B's
//! view stayed fresh count (a stale view would ask Redis and hide the propagation); they
//! are reported. Check cost: wall-clock time per `check` (an id and an identity, half the
//! ids revoked) on B's fresh view and on a `MemoryStore` holding the same ids, one task.
//! Memory: heap bytes a view grows by when it loads N revoked ids, counted by a global
//! allocator that forwards to the system allocator.

use std::time::{Duration, Instant};

use jwt_extended::store::{RedisStore, RevocationStore};

#[path = "../tests/common/counting_alloc.rs"]
mod counting_alloc;
#[path = "../tests/common/redis_server.rs"]
mod redis_server;

const BOUND: Duration = Duration::from_millis(50);

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    // Nearest rank.
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Times `calls` checks on `store`, alternating a revoked and an unknown id; ns per call.
async fn per_check(
    name: &str,
    store: &dyn RevocationStore,
    revoked: &str,
    unknown: &str,
    calls: usize,
) -> f64 {
    let started = Instant::now();
    for i in 0..calls {
        let id = if i % 2 == 0 { revoked } else { unknown };
        let check = store.check(&[id], Some("alice")).await.expect("check");
        assert_eq!(check.revoked, i % 2 == 0);
    }
    let ns = started.elapsed().as_nanos() as f64 / calls as f64;
    println!("check ({name}): {ns:.0} ns per call (half revoked ids, half unknown)");
    ns
}

fn main() {
    // `cargo bench` passes `--bench`; anything else (`cargo test --benches`) gets a small run.
    let quick = !std::env::args().any(|a| a == "--bench");
    let (samples, entries) = if quick {
        (50, 1_000)
    } else {
        (5_000, 1_000_000)
    };
    let Some(server) = redis_server::RedisServer::start_with(&["--appendfsync", "everysec"]) else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let until = 4_102_444_800; // 2100-01-01: nothing expires during the run
        let a = RedisStore::builder(server.url()).build().await.expect("A");
        let b = RedisStore::builder(server.url())
            .local_cache(BOUND)
            .build()
            .await
            .expect("B");

        // --- propagation ---
        let mut latencies = Vec::with_capacity(samples);
        let mut revoked = Vec::with_capacity(samples);
        let mut discarded = 0;
        while latencies.len() < samples {
            let id = format!("jti:{}", uuid::Uuid::new_v4().hyphenated());
            a.revoke(&id, until).await.expect("revoke on A");
            revoked.push(id.clone());
            let acknowledged = Instant::now();
            let mut stale = false;
            loop {
                stale |= !b.local_view_is_fresh();
                if b.check(&[&id], None).await.expect("check on B").revoked {
                    break;
                }
                tokio::task::yield_now().await;
            }
            let latency = acknowledged.elapsed();
            if stale || !b.local_view_is_fresh() {
                discarded += 1;
            } else {
                latencies.push(latency);
            }
        }
        latencies.sort();
        println!(
            "propagation A -> B (local view, bound {} ms), {} samples ({discarded} discarded: \
             B's view was not fresh): p50 {:?}, p90 {:?}, p99 {:?}, max {:?} (target: p99 <= 50 ms)",
            BOUND.as_millis(),
            latencies.len(),
            percentile(&latencies, 50.0),
            percentile(&latencies, 90.0),
            percentile(&latencies, 99.0),
            latencies[latencies.len() - 1],
        );

        // --- the cost of a check: B's view against a MemoryStore with the same entries ---
        let memory = jwt_extended::store::MemoryStore::new();
        for id in &revoked {
            memory.revoke(id, until).await.expect("revoke in memory");
        }
        let unknown = format!("jti:{}", uuid::Uuid::new_v4().hyphenated());
        let calls = if quick { 10_000 } else { 2_000_000 };
        // Twice each, alternated (the first rounds warm up).
        let mut in_memory = f64::MAX;
        let mut in_view = f64::MAX;
        for _ in 0..2 {
            let m = per_check("MemoryStore", &memory, &revoked[0], &unknown, calls).await;
            in_memory = in_memory.min(m);
            assert!(b.local_view_is_fresh());
            let v = per_check("RedisStore, local view", &b, &revoked[0], &unknown, calls).await;
            in_view = in_view.min(v);
        }
        assert!(b.local_view_is_fresh(), "the view stayed fresh: no check went to Redis");
        println!(
            "check cost: local view / MemoryStore = {:.2} (best of two, single task, wall clock)",
            in_view / in_memory
        );

        // --- memory ---
        let ids: Vec<String> = (0..entries)
            .map(|_| format!("jti:{}", uuid::Uuid::new_v4().hyphenated()))
            .collect();
        let started = Instant::now();
        for chunk in ids.chunks(256) {
            let mut writes = tokio::task::JoinSet::new();
            for id in chunk {
                let (a, id) = (a.clone(), id.clone());
                writes.spawn(async move { a.revoke(&id, until).await });
            }
            for result in writes.join_all().await {
                result.expect("revoke");
            }
        }
        let written = started.elapsed();
        // Everything but the view is made before counting: ids, A's and B's connections.
        let before = counting_alloc::live();
        let started = Instant::now();
        let c = RedisStore::builder(server.url())
            .local_cache(BOUND)
            .local_cache_capacity(2 * entries)
            .connect_timeout(Duration::from_secs(120))
            .build()
            .await
            .expect("C");
        let loaded = started.elapsed();
        assert!(c.local_view_is_fresh(), "the view loaded");
        let grown = counting_alloc::live() - before;
        let held = c.local_view_len();
        println!(
            "local view memory: {held} entries loaded in {loaded:?} ({entries} revocations \
             written by A in {written:?}); the store with its view grew the heap by {grown} \
             bytes, {:.1} bytes per entry",
            grown as f64 / held as f64
        );
        drop((a, b, c));
    });
}
