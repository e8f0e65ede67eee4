//! The revocation-store battery: the same cases run against every backend
//! (`MemoryStore` on a `MockClock`, and `RedisStore` on a throwaway `redis-server`), then
//! cases that only the memory store has (capacity, sweeping), and property tests of
//! `keep_until`. Redis fault injection lives in `tests/store_redis.rs`.
#![cfg(feature = "memory-store")]

use std::sync::Arc;
use std::time::Duration;

use jwt_extended::store::{
    Check, Consumption, MAX_UNTIL, MemoryStore, RevocationStore, StoreErrorKind, keep_until,
};
use jwt_extended::{clock::Clock, clock::MockClock};

#[cfg(feature = "redis")]
#[path = "common/redis_server.rs"]
mod redis_server;

/// 2027-01-15T08:00:00Z: where the memory store's clock starts.
const NOW: u64 = 1_800_000_000;

/// A uuid-shaped token id (the compact form in the memory store).
fn jti(n: u32) -> String {
    format!("jti:{n:08x}-0000-4000-8000-{n:012x}")
}

/// A uuid-shaped rotation-family id.
fn fam(n: u32) -> String {
    format!("fam:{n:08x}-0000-4000-8000-{n:012x}")
}

/// Which kind of entry [`Backend::assert_kept_until`] looks at.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Revoked,
    User,
    Used,
}

/// A store under test, with what the battery needs to know about its time.
#[async_trait::async_trait]
trait Backend: Send + Sync + 'static {
    fn store(&self) -> Arc<dyn RevocationStore>;

    /// The current time as the store sees it.
    async fn now(&self) -> u64;

    /// Asserts that the entry is kept until `until`, and not beyond it.
    async fn assert_kept_until(&self, kind: Kind, id: &str, until: u64);
}

struct Memory {
    store: Arc<MemoryStore>,
    clock: MockClock,
}

async fn memory_backend() -> Option<Memory> {
    let clock = MockClock::at_unix(NOW);
    let store = Arc::new(MemoryStore::new().with_clock(clock.clone()));
    Some(Memory { store, clock })
}

impl Memory {
    async fn present(&self, kind: Kind, id: &str) -> bool {
        match kind {
            Kind::Revoked => self.store.check(&[id], None).await.unwrap().revoked,
            Kind::User => self
                .store
                .check(&[], Some(id))
                .await
                .unwrap()
                .user_not_before
                .is_some(),
            // Consumes it again when it is gone: only for the end of a test.
            Kind::Used => matches!(
                self.store
                    .consume("fam:probe", id, 1, MAX_UNTIL)
                    .await
                    .unwrap(),
                Consumption::Reused { .. }
            ),
        }
    }
}

#[async_trait::async_trait]
impl Backend for Memory {
    fn store(&self) -> Arc<dyn RevocationStore> {
        self.store.clone()
    }

    async fn now(&self) -> u64 {
        self.clock.now().as_secs()
    }

    async fn assert_kept_until(&self, kind: Kind, id: &str, until: u64) {
        // A MockClock stops at u64::MAX nanoseconds (year 2554).
        let clock_end = u64::MAX / 1_000_000_000;
        let start = self.clock.now();
        self.clock.set(Duration::from_secs(until.min(clock_end)));
        assert!(
            self.present(kind, id).await,
            "{kind:?} {id:?} gone at {until}"
        );
        if until < clock_end {
            self.clock.set(Duration::from_secs(until + 1));
            assert!(
                !self.present(kind, id).await,
                "{kind:?} {id:?} kept after {until}"
            );
        }
        self.clock.set(start);
    }
}

#[cfg(feature = "redis")]
struct Redis {
    store: Arc<jwt_extended::store::RedisStore>,
    client: redis::Client,
    _server: redis_server::RedisServer,
}

#[cfg(feature = "redis")]
async fn redis_backend() -> Option<Redis> {
    let server = redis_server::RedisServer::start()?;
    let store = jwt_extended::store::RedisStore::builder(server.url())
        .build()
        .await
        .expect("build the Redis store");
    let client = redis::Client::open(server.url()).unwrap();
    Some(Redis {
        store: Arc::new(store),
        client,
        _server: server,
    })
}

#[cfg(feature = "redis")]
#[async_trait::async_trait]
impl Backend for Redis {
    fn store(&self) -> Arc<dyn RevocationStore> {
        self.store.clone()
    }

    /// Wall-clock seconds, at least 100 ms before the next second starts (so an entry kept
    /// until `now + 1` is still there when the test looks).
    async fn now(&self) -> u64 {
        loop {
            let now = jwt_extended::clock::SystemClock.now();
            let ms = now.subsec_millis();
            if ms < 900 {
                return now.as_secs();
            }
            tokio::time::sleep(Duration::from_millis(u64::from(1010 - ms))).await;
        }
    }

    /// Redis expires keys by itself; the battery checks the key's absolute expiry.
    async fn assert_kept_until(&self, kind: Kind, id: &str, until: u64) {
        let kind_name = match kind {
            Kind::Revoked => "revoked",
            Kind::User => "user",
            Kind::Used => "used",
        };
        let key = format!("jwt-extended:{kind_name}:{id}");
        let mut conn = self
            .client
            .get_multiplexed_async_connection()
            .await
            .unwrap();
        let at: i64 = redis::cmd("EXPIRETIME")
            .arg(key.as_bytes())
            .query_async(&mut conn)
            .await
            .unwrap();
        assert_eq!(at, i64::try_from(until).unwrap(), "{kind:?} {id:?}");
    }
}

/// Runs every case of [`cases`] against one backend, one `#[tokio::test]` each.
macro_rules! battery {
    ($backend:path) => {
        battery!(@cases $backend;
            revoke_then_check,
            unknown_ids_are_not_revoked,
            several_ids_in_one_check,
            revocation_expires,
            revoking_again_never_shortens,
            user_not_before_keeps_the_latest,
            user_record_expires,
            consume_once_then_reuse,
            consume_tracks_the_latest_per_family,
            consumption_expires,
            concurrent_consume_has_one_winner,
            odd_ids_are_stored_verbatim,
            keep_until_is_never_in_the_past,
            many_ids_from_many_tasks,
        );
    };
    (@cases $backend:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                let Some(backend) = $backend().await else { return };
                crate::cases::$case(&backend).await;
            }
        )*
    };
}

mod memory_store {
    battery!(super::memory_backend);
}

#[cfg(feature = "redis")]
mod redis_store {
    battery!(super::redis_backend);
}

mod cases {
    use super::*;

    pub async fn revoke_then_check(b: &impl Backend) {
        let (store, now) = (b.store(), b.now().await);
        store.revoke(&jti(1), now + 3600).await.unwrap();
        let expected = Check {
            revoked: true,
            user_not_before: None,
        };
        assert_eq!(store.check(&[&jti(1)], None).await.unwrap(), expected);
        // Idempotent.
        store.revoke(&jti(1), now + 3600).await.unwrap();
        assert_eq!(store.check(&[&jti(1)], None).await.unwrap(), expected);
    }

    pub async fn unknown_ids_are_not_revoked(b: &impl Backend) {
        let (store, now) = (b.store(), b.now().await);
        store.revoke(&jti(1), now + 3600).await.unwrap();
        let same_uuid_other_prefix = jti(1).replace("jti:", "pair:");
        let upper = jti(1).replace("jti:", "JTI:");
        for id in [
            jti(2),
            same_uuid_other_prefix,
            upper,
            jti(1)[4..].to_string(),
        ] {
            assert_eq!(
                store.check(&[&id], None).await.unwrap(),
                Check::default(),
                "{id}"
            );
        }
        assert_eq!(store.check(&[], None).await.unwrap(), Check::default());
        assert_eq!(
            store.check(&[], Some("nobody")).await.unwrap(),
            Check::default()
        );
    }

    pub async fn several_ids_in_one_check(b: &impl Backend) {
        let (store, now) = (b.store(), b.now().await);
        store.revoke(&jti(2), now + 3600).await.unwrap();
        let (a, b_, c) = (jti(1), jti(2), jti(3));
        assert!(store.check(&[&a, &b_, &c], None).await.unwrap().revoked);
        assert!(store.check(&[&b_, &a], None).await.unwrap().revoked);
        assert!(!store.check(&[&a, &c], None).await.unwrap().revoked);

        store
            .revoke_user_before("alice", now - 10, now + 3600)
            .await
            .unwrap();
        assert_eq!(
            store.check(&[&a, &b_], Some("alice")).await.unwrap(),
            Check {
                revoked: true,
                user_not_before: Some(now - 10)
            }
        );
        assert_eq!(
            store.check(&[&a, &c], Some("alice")).await.unwrap(),
            Check {
                revoked: false,
                user_not_before: Some(now - 10)
            }
        );
        assert_eq!(
            store.check(&[&a], Some("bob")).await.unwrap(),
            Check::default()
        );
    }

    pub async fn revocation_expires(b: &impl Backend) {
        let (store, now) = (b.store(), b.now().await);
        store.revoke(&jti(1), now + 120).await.unwrap();
        b.assert_kept_until(Kind::Revoked, &jti(1), now + 120).await;
        store.revoke("an opaque id", now + 125).await.unwrap();
        b.assert_kept_until(Kind::Revoked, "an opaque id", now + 125)
            .await;
    }

    pub async fn revoking_again_never_shortens(b: &impl Backend) {
        let (store, now) = (b.store(), b.now().await);
        store.revoke(&jti(1), now + 1000).await.unwrap();
        store.revoke(&jti(1), now + 100).await.unwrap();
        b.assert_kept_until(Kind::Revoked, &jti(1), now + 1000)
            .await;

        store.revoke(&jti(2), now + 100).await.unwrap();
        store.revoke(&jti(2), now + 500).await.unwrap();
        b.assert_kept_until(Kind::Revoked, &jti(2), now + 500).await;
    }

    pub async fn user_not_before_keeps_the_latest(b: &impl Backend) {
        let (store, now) = (b.store(), b.now().await);
        let until = now + 600;
        let not_before = async |identity: &str| {
            store
                .check(&[], Some(identity))
                .await
                .unwrap()
                .user_not_before
        };
        store
            .revoke_user_before("alice", now - 100, until)
            .await
            .unwrap();
        assert_eq!(not_before("alice").await, Some(now - 100));
        store
            .revoke_user_before("alice", now - 200, until)
            .await
            .unwrap();
        assert_eq!(not_before("alice").await, Some(now - 100));
        store
            .revoke_user_before("alice", now - 50, until)
            .await
            .unwrap();
        assert_eq!(not_before("alice").await, Some(now - 50));
        assert_eq!(not_before("bob").await, None);

        // Numeric order, not text order ("10" > "9"), up to u64::MAX.
        store.revoke_user_before("carol", 9, until).await.unwrap();
        store.revoke_user_before("carol", 10, until).await.unwrap();
        assert_eq!(not_before("carol").await, Some(10));
        store
            .revoke_user_before("dave", u64::MAX - 1, until)
            .await
            .unwrap();
        store.revoke_user_before("dave", 5, until).await.unwrap();
        assert_eq!(not_before("dave").await, Some(u64::MAX - 1));
        store
            .revoke_user_before("dave", u64::MAX, until)
            .await
            .unwrap();
        assert_eq!(not_before("dave").await, Some(u64::MAX));
    }

    pub async fn user_record_expires(b: &impl Backend) {
        let (store, now) = (b.store(), b.now().await);
        store
            .revoke_user_before("alice", now, now + 300)
            .await
            .unwrap();
        b.assert_kept_until(Kind::User, "alice", now + 300).await;

        // The later expiry wins whichever not-before time wins.
        store
            .revoke_user_before("bob", now, now + 300)
            .await
            .unwrap();
        store
            .revoke_user_before("bob", now - 5, now + 900)
            .await
            .unwrap();
        store
            .revoke_user_before("bob", now + 1, now + 400)
            .await
            .unwrap();
        let check = store.check(&[], Some("bob")).await.unwrap();
        assert_eq!(check.user_not_before, Some(now + 1));
        b.assert_kept_until(Kind::User, "bob", now + 900).await;
    }

    pub async fn consume_once_then_reuse(b: &impl Backend) {
        let (store, now) = (b.store(), b.now().await);
        let (f, r1) = (fam(1), jti(1));
        let until = now + 3600;
        assert_eq!(
            store.consume(&f, &r1, now, until).await.unwrap(),
            Consumption::First
        );
        for later in [now + 5, now + 50] {
            assert_eq!(
                store.consume(&f, &r1, later, until).await.unwrap(),
                Consumption::Reused {
                    first_used_at: now,
                    latest: true
                }
            );
        }
        // Consuming does not revoke, and revoking does not consume.
        assert!(!store.check(&[&r1], None).await.unwrap().revoked);
        store.revoke(&jti(2), until).await.unwrap();
        assert_eq!(
            store.consume(&f, &jti(2), now, until).await.unwrap(),
            Consumption::First
        );
    }

    pub async fn consume_tracks_the_latest_per_family(b: &impl Backend) {
        let (store, now) = (b.store(), b.now().await);
        let until = now + 3600;
        let (f, g) = (fam(1), fam(2));
        let (r1, r2, r3) = (jti(1), jti(2), jti(3));
        let consume = async |family: &str, id: &str, at: u64| {
            store.consume(family, id, at, until).await.unwrap()
        };
        assert_eq!(consume(&f, &r1, now).await, Consumption::First);
        assert_eq!(consume(&f, &r2, now + 10).await, Consumption::First);
        assert_eq!(
            consume(&f, &r1, now + 20).await,
            Consumption::Reused {
                first_used_at: now,
                latest: false
            }
        );
        assert_eq!(
            consume(&f, &r2, now + 20).await,
            Consumption::Reused {
                first_used_at: now + 10,
                latest: true
            }
        );
        // Another family does not move F's latest.
        assert_eq!(consume(&g, &r3, now + 30).await, Consumption::First);
        assert_eq!(
            consume(&f, &r2, now + 40).await,
            Consumption::Reused {
                first_used_at: now + 10,
                latest: true
            }
        );
        assert_eq!(
            consume(&g, &r3, now + 40).await,
            Consumption::Reused {
                first_used_at: now + 30,
                latest: true
            }
        );
        // An id presented under the wrong family is not that family's latest.
        assert_eq!(
            consume(&f, &r3, now + 50).await,
            Consumption::Reused {
                first_used_at: now + 30,
                latest: false
            }
        );
    }

    pub async fn consumption_expires(b: &impl Backend) {
        let (store, now) = (b.store(), b.now().await);
        assert_eq!(
            store
                .consume(&fam(1), &jti(1), now, now + 200)
                .await
                .unwrap(),
            Consumption::First
        );
        b.assert_kept_until(Kind::Used, &jti(1), now + 200).await;
    }

    pub async fn concurrent_consume_has_one_winner(b: &impl Backend) {
        let (store, now) = (b.store(), b.now().await);
        let barrier = Arc::new(tokio::sync::Barrier::new(50));
        let tasks: Vec<_> = (0..50u64)
            .map(|i| {
                let (store, barrier) = (store.clone(), barrier.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    let at = now + i % 7;
                    (at, store.consume(&fam(9), &jti(9), at, now + 3600).await)
                })
            })
            .collect();
        let mut winners = Vec::new();
        let mut first_used = std::collections::BTreeSet::new();
        for task in tasks {
            match task.await.unwrap() {
                (at, Ok(Consumption::First)) => winners.push(at),
                (_, Ok(Consumption::Reused { first_used_at, .. })) => {
                    first_used.insert(first_used_at);
                }
                (_, Err(e)) => panic!("consume failed: {e}"),
            }
        }
        assert_eq!(winners.len(), 1, "exactly one first use");
        // The losers either saw the winner's record or raced it; none recorded its own.
        assert!(
            first_used.iter().all(|&t| t == winners[0]),
            "{first_used:?}"
        );
    }

    pub async fn odd_ids_are_stored_verbatim(b: &impl Backend) {
        let (store, now) = (b.store(), b.now().await);
        let until = now + 3600;
        let long = "x".repeat(1024);
        let upper_uuid = jti(7).to_uppercase();
        let odd = [
            "jti:a b",
            "jti:a\r\nb",
            "jti:\r\nSET jti:evil 1\r\n",
            "*3\r\n$3\r\nSET\r\n",
            "jti:ünïcødé 🦀",
            "",
            " ",
            "\0",
            "jti:*",
            "jti:[a-z]?",
            "jwt-extended:revoked:x",
            long.as_str(),
            upper_uuid.as_str(),
        ];
        let long_minus = "x".repeat(1023);
        let long_plus = "x".repeat(1025);
        let lower_uuid = jti(7);
        let near = [
            "jti:a  b",
            "jti:a\nb",
            "jti:a\rb",
            "jti:evil",
            "SET",
            "jti:unicode",
            "jti:ünïcødé",
            "  ",
            "jti:a",
            "x",
            "jti:",
            long_minus.as_str(),
            long_plus.as_str(),
            lower_uuid.as_str(),
        ];
        for id in odd {
            store.revoke(id, until).await.unwrap();
            store.revoke_user_before(id, now, until).await.unwrap();
        }
        for id in odd {
            let check = store.check(&[id], Some(id)).await.unwrap();
            assert!(check.revoked, "{id:?} revoked");
            assert_eq!(check.user_not_before, Some(now), "{id:?} user");
        }
        for id in near {
            assert_eq!(
                store.check(&[id], Some(id)).await.unwrap(),
                Check::default(),
                "{id:?} is not revoked"
            );
        }
        let (f, r) = ("fam:\r\n x", "jti:\r\n y");
        assert_eq!(
            store.consume(f, r, now, until).await.unwrap(),
            Consumption::First
        );
        assert_eq!(
            store.consume(f, r, now, until).await.unwrap(),
            Consumption::Reused {
                first_used_at: now,
                latest: true
            }
        );
        assert_eq!(
            store.consume("fam:\n x", r, now, until).await.unwrap(),
            Consumption::Reused {
                first_used_at: now,
                latest: false
            }
        );
    }

    pub async fn keep_until_is_never_in_the_past(b: &impl Backend) {
        let (store, now) = (b.store(), b.now().await);
        for (exp, leeway, margin) in [
            (Some(now - 1000), 0, 0),
            (Some(0), 0, 0),
            (Some(now), 0, 0),
            (Some(now - 70), 10, 60),
            (None, 0, 0),
            (Some(u64::MAX), u64::MAX, u64::MAX),
        ] {
            let until = keep_until(exp, now, leeway, margin);
            assert!(until > now && until <= MAX_UNTIL, "{exp:?} {until}");
        }
        // A token that expired long ago is still kept for a moment, never "already gone".
        let until = keep_until(Some(now - 1000), now, 0, 0);
        assert_eq!(until, now + 1);
        store.revoke(&jti(1), until).await.unwrap();
        assert!(store.check(&[&jti(1)], None).await.unwrap().revoked);
        // A token without `exp` is kept until the end of year 9999.
        let until = keep_until(None, now, 60, 60);
        store.revoke(&jti(2), until).await.unwrap();
        b.assert_kept_until(Kind::Revoked, &jti(2), MAX_UNTIL).await;
    }

    pub async fn many_ids_from_many_tasks(b: &impl Backend) {
        let (store, now) = (b.store(), b.now().await);
        let tasks: Vec<_> = (0..8u32)
            .map(|t| {
                let store = store.clone();
                tokio::spawn(async move {
                    for i in 0..100 {
                        store.revoke(&jti(t * 1000 + i), now + 3600).await.unwrap();
                        let unrevoked = jti(100_000 + t * 1000 + i);
                        assert!(!store.check(&[&unrevoked], None).await.unwrap().revoked);
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        let revoked: Vec<String> = (0..8)
            .flat_map(|t| (0..100).map(move |i| jti(t * 1000 + i)))
            .collect();
        for id in &revoked {
            assert!(store.check(&[id], None).await.unwrap().revoked, "{id}");
        }
        let unrevoked: Vec<String> = (0..800).map(|i| jti(200_000 + i)).collect();
        let unrevoked: Vec<&str> = unrevoked.iter().map(String::as_str).collect();
        assert!(!store.check(&unrevoked, None).await.unwrap().revoked);
        let mut mixed = unrevoked.clone();
        mixed.push(&revoked[799]);
        assert!(store.check(&mixed, None).await.unwrap().revoked);
    }
}

/// What only the memory store does: capacity, sweeping, lazy expiry.
mod memory_only {
    use super::*;

    fn store(clock: &MockClock) -> MemoryStore {
        MemoryStore::new().with_clock(clock.clone())
    }

    #[tokio::test]
    async fn a_full_store_refuses_new_entries_and_keeps_the_old() {
        let clock = MockClock::at_unix(NOW);
        let store = store(&clock).with_capacity(3);
        store.revoke(&jti(1), NOW + 10).await.unwrap();
        store.revoke(&jti(2), NOW + 1000).await.unwrap();
        store.revoke("opaque", NOW + 1000).await.unwrap();
        assert_eq!(store.len(), 3);

        let full = |r: Result<_, jwt_extended::store::StoreError>| {
            assert_eq!(r.unwrap_err().kind(), StoreErrorKind::Capacity);
        };
        full(store.revoke(&jti(3), NOW + 1000).await.map(drop));
        full(store.revoke_user_before("alice", NOW, NOW + 1000).await);
        full(
            store
                .consume(&fam(1), &jti(4), NOW, NOW + 1000)
                .await
                .map(drop),
        );
        // Updating an existing entry needs no room.
        store.revoke(&jti(1), NOW + 20).await.unwrap();
        for id in [jti(1), jti(2), "opaque".into()] {
            assert!(store.check(&[&id], None).await.unwrap().revoked, "{id}");
        }
        assert_eq!(store.len(), 3);

        // Once jti(1) expires, a full store sweeps and makes room.
        clock.advance(Duration::from_secs(21));
        store.revoke(&jti(3), NOW + 1000).await.unwrap();
        assert!(!store.check(&[&jti(1)], None).await.unwrap().revoked);
        assert!(store.check(&[&jti(3)], None).await.unwrap().revoked);
        assert_eq!(store.len(), 3);
    }

    #[tokio::test]
    async fn consume_counts_its_entries() {
        let clock = MockClock::at_unix(NOW);
        let store = store(&clock).with_capacity(3);
        // A first consumption stores the id and the family's latest: two entries.
        store
            .consume(&fam(1), &jti(1), NOW, NOW + 100)
            .await
            .unwrap();
        assert_eq!(store.len(), 2);
        // The family exists: one more entry.
        store
            .consume(&fam(1), &jti(2), NOW, NOW + 100)
            .await
            .unwrap();
        assert_eq!(store.len(), 3);
        // Reuse needs no room.
        assert!(matches!(
            store
                .consume(&fam(1), &jti(1), NOW, NOW + 100)
                .await
                .unwrap(),
            Consumption::Reused { latest: false, .. }
        ));
        let err = store
            .consume(&fam(1), &jti(3), NOW, NOW + 100)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), StoreErrorKind::Capacity);
        assert_eq!(
            store.len(),
            3,
            "a refused consumption leaves no reservation"
        );
    }

    #[tokio::test]
    async fn expired_entries_are_purged_when_looked_at() {
        let clock = MockClock::at_unix(NOW);
        let store = store(&clock);
        store.revoke(&jti(1), NOW + 10).await.unwrap();
        store
            .revoke_user_before("alice", NOW, NOW + 10)
            .await
            .unwrap();
        assert_eq!(store.len(), 2);
        clock.advance(Duration::from_secs(11));
        assert_eq!(store.len(), 2);
        let check = store.check(&[&jti(1)], Some("alice")).await.unwrap();
        assert_eq!(check, Check::default());
        assert!(store.is_empty());
        // An expired entry is replaced, not extended: the new not-before time counts alone.
        store
            .revoke_user_before("bob", NOW + 5, NOW + 20)
            .await
            .unwrap();
        clock.advance(Duration::from_secs(10));
        store
            .revoke_user_before("bob", NOW + 1, NOW + 100)
            .await
            .unwrap();
        let check = store.check(&[], Some("bob")).await.unwrap();
        assert_eq!(check.user_not_before, Some(NOW + 1));
    }

    #[tokio::test]
    async fn sweep_drops_only_expired_entries() {
        let clock = MockClock::at_unix(NOW);
        let store = store(&clock);
        for i in 0..200 {
            let until = if i % 2 == 0 { NOW + 10 } else { NOW + 1000 };
            store.revoke(&jti(i), until).await.unwrap();
        }
        store
            .consume(&fam(1), &jti(1000), NOW, NOW + 10)
            .await
            .unwrap();
        assert_eq!(store.sweep(), 0);
        clock.advance(Duration::from_secs(10));
        assert_eq!(store.sweep(), 0, "kept through the until second");
        clock.advance(Duration::from_secs(1));
        assert_eq!(store.sweep(), 102);
        assert_eq!(store.len(), 100);
        for i in 0..200 {
            let revoked = store.check(&[&jti(i)], None).await.unwrap().revoked;
            assert_eq!(revoked, i % 2 == 1, "{i}");
        }
    }

    #[tokio::test]
    async fn writes_sweep_incrementally() {
        let clock = MockClock::at_unix(NOW);
        let store = store(&clock).with_sweep_interval(Duration::ZERO);
        for i in 0..1000 {
            store.revoke(&jti(i), NOW + 10).await.unwrap();
        }
        clock.advance(Duration::from_secs(11));
        // With a zero interval every write sweeps one shard: 64 writes visit them all.
        for i in 0..64 {
            store.revoke(&jti(10_000 + i), NOW + 100).await.unwrap();
        }
        assert_eq!(store.len(), 64);
    }

    #[tokio::test]
    async fn the_sweep_interval_spaces_the_steps() {
        let clock = MockClock::at_unix(NOW);
        let store = store(&clock).with_sweep_interval(Duration::from_secs(64));
        for i in 0..1000 {
            store.revoke(&jti(i), NOW + 10).await.unwrap();
        }
        clock.advance(Duration::from_secs(11));
        // One step (one shard) per second of clock time, whatever the number of writes.
        store.revoke(&jti(5000), NOW + 100).await.unwrap();
        let after_one_step = store.len();
        assert!(after_one_step < 1001, "{after_one_step}");
        for i in 0..100 {
            store.revoke(&jti(6000 + i), NOW + 100).await.unwrap();
        }
        assert_eq!(store.len(), after_one_step + 100);
        for _ in 0..64 {
            clock.advance(Duration::from_secs(1));
            store.revoke(&jti(5000), NOW + 100).await.unwrap();
        }
        assert_eq!(store.len(), 101);
    }

    #[test]
    fn debug_shows_no_ids() {
        let store = MemoryStore::new();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(store.revoke("jti:secret-looking", MAX_UNTIL))
            .unwrap();
        let debug = format!("{store:?}");
        assert!(debug.contains("len: 1"), "{debug}");
        assert!(!debug.contains("secret"), "{debug}");
    }
}

mod keep_until_props {
    use super::*;
    use proptest::prelude::*;

    fn time() -> impl Strategy<Value = u64> {
        prop_oneof![
            any::<u64>(),
            0..=MAX_UNTIL + 10,
            1_600_000_000u64..2_000_000_000,
            Just(0),
            Just(MAX_UNTIL),
            Just(u64::MAX),
        ]
    }

    fn span() -> impl Strategy<Value = u64> {
        prop_oneof![any::<u64>(), 0u64..3600, Just(u64::MAX)]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        #[test]
        fn keep_until_is_bounded_and_long_enough(
            exp in proptest::option::of(time()),
            now in time(),
            leeway in span(),
            margin in span(),
        ) {
            let until = keep_until(exp, now, leeway, margin);
            prop_assert!(until <= MAX_UNTIL);
            prop_assert!(until == MAX_UNTIL || until > now, "{until} <= {now}");
            match exp {
                None => prop_assert_eq!(until, MAX_UNTIL),
                Some(exp) => {
                    if let Some(needed) = exp.checked_add(leeway)
                        && needed <= MAX_UNTIL
                    {
                        prop_assert!(until >= needed);
                    }
                    // The whole formula, in wide arithmetic.
                    let wanted = (u128::from(exp) + u128::from(leeway) + u128::from(margin))
                        .max(u128::from(now) + 1)
                        .min(u128::from(MAX_UNTIL));
                    prop_assert_eq!(u128::from(until), wanted);
                }
            }
        }
    }
}
