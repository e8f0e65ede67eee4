//! Measures what the memory store really allocates per revoked id, with a counting global
//! allocator: one million uuid-shaped ids (`jti:<uuid>`, the manager's shape) must cost at
//! most 150 bytes each, hash-table slack included.
//!
//! The count is of the bytes asked of the allocator; the allocator's own bookkeeping comes
//! on top (a few bytes per allocation; uuid-shaped ids make no allocation of their own).
//! This file holds a single test so nothing else allocates while it measures.
#![cfg(feature = "memory-store")]

use std::time::Instant;

use jwt_extended::store::{MAX_UNTIL, MemoryStore, RevocationStore};

#[path = "common/counting_alloc.rs"]
mod counting_alloc;

const BUDGET: f64 = 150.0;

/// Revokes `count` ids made by `id`, and returns the heap bytes the store grew by, per id.
fn bytes_per_entry(count: u64, id: impl Fn(u64) -> String) -> f64 {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let store = MemoryStore::new();
    let before = counting_alloc::live();
    let started = Instant::now();
    runtime.block_on(async {
        for i in 0..count {
            store.revoke(&id(i), MAX_UNTIL).await.expect("revoke");
        }
    });
    let grown = counting_alloc::live() - before;
    assert_eq!(store.len(), usize::try_from(count).unwrap());
    // Spot check: they are all there.
    runtime.block_on(async {
        for i in (0..count).step_by(9973) {
            assert!(store.check(&[&id(i)], None).await.unwrap().revoked);
        }
    });
    let per_entry = grown as f64 / count as f64;
    println!(
        "{count} entries: {grown} bytes, {per_entry:.1} bytes per entry ({:.1?})",
        started.elapsed()
    );
    drop(store);
    per_entry
}

/// A random-looking but reproducible v4 uuid.
fn uuid(i: u64) -> uuid::Uuid {
    // splitmix64, twice.
    let mix = |mut z: u64| {
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let a = mix(i.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let b = mix(a ^ 0x5555_5555_5555_5555);
    uuid::Builder::from_random_bytes((u128::from(a) << 64 | u128::from(b)).to_le_bytes())
        .into_uuid()
}

#[test]
fn bytes_per_revoked_id() {
    // The manager's ids: "jti:" + a canonical uuid (40 bytes), stored compactly.
    let compact = bytes_per_entry(1_000_000, |i| format!("jti:{}", uuid(i).hyphenated()));
    // Any other 40-byte id is kept verbatim, in its own allocation.
    let opaque = bytes_per_entry(200_000, |i| {
        format!("opaque-token-id:{:024x}", uuid(i).as_u128())
    });
    println!("memory store: {compact:.1} B per uuid-shaped id, {opaque:.1} B per other 40-byte id");
    assert!(compact <= BUDGET, "{compact:.1} bytes per uuid-shaped id");
    assert!(opaque <= BUDGET, "{opaque:.1} bytes per opaque id");
}
