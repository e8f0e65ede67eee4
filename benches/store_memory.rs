//! What the in-memory revocation store costs per revoked token at one million entries:
//! heap bytes (counted by a global allocator that forwards to the system allocator, hash
//! table slack included) and the time of a revoke and of a check.
//!
//! ```sh
//! cargo bench --bench store_memory
//! ```
//!
//! The ids have the manager's shape, `jti:<uuid v4>`. The count is of the bytes asked of
//! the allocator; the allocator's own bookkeeping comes on top.

use std::time::Instant;

use jwt_extended::store::{MemoryStore, RevocationStore};

#[path = "../tests/common/counting_alloc.rs"]
mod counting_alloc;

const ENTRIES: usize = 1_000_000;
const BUDGET: f64 = 150.0;

fn main() {
    // `cargo bench` passes `--bench`; anything else (`cargo test --benches`) gets a small run.
    let quick = !std::env::args().any(|a| a == "--bench");
    let entries = if quick { 10_000 } else { ENTRIES };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    // Made up front so that only the store's own allocations are counted.
    let ids: Vec<String> = (0..entries)
        .map(|_| format!("jti:{}", uuid::Uuid::new_v4().hyphenated()))
        .collect();
    let until = 4_102_444_800; // 2100-01-01: nothing expires during the run

    let store = MemoryStore::new();
    let before = counting_alloc::live();
    let started = Instant::now();
    runtime.block_on(async {
        for id in &ids {
            store.revoke(id, until).await.expect("revoke");
        }
    });
    let revoke_ns = started.elapsed().as_nanos() as f64 / entries as f64;
    let grown = counting_alloc::live() - before;
    assert_eq!(store.len(), entries);
    let per_entry = grown as f64 / entries as f64;

    // Checks as a guard makes them: one revoked id (hit) or one unknown id (miss), plus the
    // identity's "not before" lookup.
    let unknown: Vec<String> = (0..entries.min(100_000))
        .map(|_| format!("jti:{}", uuid::Uuid::new_v4().hyphenated()))
        .collect();
    let (hit_ns, miss_ns) = runtime.block_on(async {
        let started = Instant::now();
        for id in ids.iter().take(unknown.len()) {
            assert!(
                store
                    .check(&[id], Some("alice"))
                    .await
                    .expect("check")
                    .revoked
            );
        }
        let hit = started.elapsed().as_nanos() as f64 / unknown.len() as f64;
        let started = Instant::now();
        for id in &unknown {
            assert!(
                !store
                    .check(&[id], Some("alice"))
                    .await
                    .expect("check")
                    .revoked
            );
        }
        let miss = started.elapsed().as_nanos() as f64 / unknown.len() as f64;
        (hit, miss)
    });

    println!("memory store, {entries} revoked uuid-shaped ids (jti:<uuid>):");
    println!("  heap: {grown} bytes, {per_entry:.1} bytes per revoked entry (target <= {BUDGET})");
    println!("  revoke: {revoke_ns:.0} ns each (one at a time, one thread)");
    println!("  check:  {hit_ns:.0} ns revoked id, {miss_ns:.0} ns unknown id");
    if !quick {
        assert!(per_entry <= BUDGET, "{per_entry:.1} bytes per entry");
    }
}
