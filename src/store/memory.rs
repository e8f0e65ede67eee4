//! The in-memory revocation store.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use hashbrown::HashTable;
use hashbrown::hash_table::Entry;

use super::{Check, Consumption, RevocationStore, StoreError, StoreErrorKind};
use crate::clock::{Clock, SystemClock};
use crate::duration::IntoDuration;

/// Number of shards (independent locks). A power of two.
const SHARDS: usize = 64;

/// The longest id prefix (before `:<uuid>`) stored in compact form.
const PREFIX_MAX: usize = 6;

/// Length of a canonical hyphenated UUID.
const UUID_LEN: usize = 36;

/// A revocation store that keeps everything in the process: fast, but lost on restart and
/// not shared between instances, so it suits a single instance, development and tests.
/// Use `RedisStore` (feature `redis`) when more than one instance verifies tokens.
///
/// - **Concurrent:** the entries are spread over 64 shards, each behind its own lock, and
///   every operation is O(1) (a check of `n` ids is O(n)).
/// - **Expiry:** an entry is kept until its `until` time (inclusive) and dropped after it:
///   lazily when it is looked at, a few shards at a time as writes come in (a full pass
///   every [`sweep_interval`](Self::with_sweep_interval), 60 s by default), and on demand
///   with [`sweep`](Self::sweep). The time comes from the store's [`Clock`] (the system
///   clock by default; tests pass a [`MockClock`](crate::clock::MockClock)).
/// - **Bounded:** at most [`capacity`](Self::with_capacity) entries (10 million by default).
///   When the store is full, expired entries are swept and, if it is still full, the write
///   fails with [`StoreErrorKind::Capacity`]. An unexpired entry is never evicted, since
///   that would un-revoke a token.
/// - **Compact:** an id of the form `<prefix>:<uuid>`, with a prefix of at most 6 bytes and
///   a canonical lower-case UUID (the shape of the ids the manager generates, such as
///   `jti:0b6f3e0c-5b1e-4c55-9d8a-2f9f4c1b7e21`), is kept as 23 bytes without a separate
///   allocation. Any other id is kept verbatim. One revoked token costs about 70 bytes
///   (measured at one million entries, including the hash table's spare room).
///
/// # Example
///
/// ```
/// use jwt_extended::store::{MemoryStore, RevocationStore};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let store = MemoryStore::new();
/// let until = 4_102_444_800; // 2100-01-01
/// store.revoke("jti:0b6f3e0c-5b1e-4c55-9d8a-2f9f4c1b7e21", until).await?;
///
/// let check = store.check(&["jti:0b6f3e0c-5b1e-4c55-9d8a-2f9f4c1b7e21"], None).await?;
/// assert!(check.revoked);
/// assert_eq!(store.len(), 1);
/// # Ok(())
/// # }
/// ```
pub struct MemoryStore {
    shards: Box<[Mutex<Shard>]>,
    /// The keyed hash (SipHash with random keys) of every key: computed once per key and
    /// operation, it picks the shard (bits 32..38) and the bucket in the shard's table.
    hasher: RandomState,
    /// Entries in all maps of all shards, expired or not, plus reservations in flight.
    len: AtomicUsize,
    /// Per-identity entries in all shards, plus insertions in flight: counted up before an
    /// entry can be seen and down after it is gone, so a check that reads zero may skip
    /// the identity lookup (it is ordered before any such insertion).
    users: AtomicUsize,
    capacity: usize,
    clock: Arc<dyn Clock>,
    /// Time between two incremental sweep steps (one shard each), in milliseconds.
    step_every_ms: u64,
    /// Clock time (ms) at or after which the next incremental sweep step runs.
    next_step_at_ms: AtomicU64,
    /// The next shard the incremental sweep visits.
    step_cursor: AtomicUsize,
    /// Clock second of the last full sweep forced by a full store.
    last_capacity_sweep: AtomicU64,
    /// Writes that can revoke a token (`revoke`, `revoke_user_before`), counted after
    /// each: see [`revision`](Self::revision).
    writes: AtomicU64,
    /// Random and odd, so that revisions are never zero and two stores' start far apart.
    revision_base: u64,
}

impl MemoryStore {
    /// The default capacity: 10 million entries (about 700 MB of uuid-shaped ids).
    ///
    /// ```
    /// use jwt_extended::store::MemoryStore;
    /// assert_eq!(MemoryStore::new().capacity(), MemoryStore::DEFAULT_CAPACITY);
    /// ```
    pub const DEFAULT_CAPACITY: usize = 10_000_000;

    /// The default time for a full incremental sweep: 60 seconds.
    ///
    /// ```
    /// use std::time::Duration;
    /// use jwt_extended::store::MemoryStore;
    /// assert_eq!(MemoryStore::DEFAULT_SWEEP_INTERVAL, Duration::from_secs(60));
    /// ```
    pub const DEFAULT_SWEEP_INTERVAL: Duration = Duration::from_secs(60);

    /// An empty store with the default capacity and the system clock.
    ///
    /// ```
    /// use jwt_extended::store::MemoryStore;
    /// let store = MemoryStore::new();
    /// assert!(store.is_empty());
    /// ```
    pub fn new() -> Self {
        let mut shards = Vec::with_capacity(SHARDS);
        shards.resize_with(SHARDS, || Mutex::new(Shard::default()));
        let hasher = RandomState::new();
        let revision_base = hasher.hash_one(SHARDS) | 1;
        let mut store = Self {
            shards: shards.into_boxed_slice(),
            hasher,
            len: AtomicUsize::new(0),
            users: AtomicUsize::new(0),
            capacity: Self::DEFAULT_CAPACITY,
            clock: Arc::new(SystemClock),
            step_every_ms: 0,
            next_step_at_ms: AtomicU64::new(0),
            step_cursor: AtomicUsize::new(0),
            last_capacity_sweep: AtomicU64::new(u64::MAX),
            writes: AtomicU64::new(0),
            revision_base,
        };
        store.set_sweep_interval(Self::DEFAULT_SWEEP_INTERVAL);
        store
    }

    /// Sets the largest number of entries the store holds (revoked ids, users, consumed
    /// refresh tokens and rotation families together). It is a limit, not a preallocation.
    ///
    /// ```
    /// use jwt_extended::store::{MemoryStore, RevocationStore, StoreErrorKind};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let store = MemoryStore::new().with_capacity(1);
    /// let until = 4_102_444_800;
    /// store.revoke("jti:a", until).await.unwrap();
    /// let err = store.revoke("jti:b", until).await.unwrap_err();
    /// assert_eq!(err.kind(), StoreErrorKind::Capacity);
    /// // "jti:a" was kept: a full store refuses new entries, it never drops live ones.
    /// assert!(store.check(&["jti:a"], None).await.unwrap().revoked);
    /// # }
    /// ```
    #[must_use]
    pub fn with_capacity(mut self, max_entries: usize) -> Self {
        self.capacity = max_entries;
        self
    }

    /// Sets the clock that decides when entries have expired (defaults to
    /// [`SystemClock`]). Give it the same clock as the [`JwtManager`](crate::JwtManager).
    ///
    /// ```
    /// use std::time::Duration;
    /// use jwt_extended::clock::MockClock;
    /// use jwt_extended::store::{MemoryStore, RevocationStore};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let clock = MockClock::at_unix(1_000);
    /// let store = MemoryStore::new().with_clock(clock.clone());
    /// store.revoke("jti:a", 1_100).await?;
    ///
    /// clock.advance(Duration::from_secs(100)); // 1 100: still kept
    /// assert!(store.check(&["jti:a"], None).await?.revoked);
    /// clock.advance(Duration::from_secs(1)); // 1 101: expired
    /// assert!(!store.check(&["jti:a"], None).await?.revoked);
    /// assert!(store.is_empty());
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn with_clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Sets how long a full pass of the incremental sweep takes (defaults to
    /// [`DEFAULT_SWEEP_INTERVAL`](Self::DEFAULT_SWEEP_INTERVAL)). Writes sweep one shard
    /// (1/64 of the entries) at a time, at most once per `interval / 64`, so expired entries
    /// are dropped even when nothing looks at them again. `Duration::ZERO` sweeps a shard on
    /// every write.
    ///
    /// ```
    /// use std::time::Duration;
    /// use jwt_extended::store::MemoryStore;
    /// let store = MemoryStore::new().with_sweep_interval(Duration::from_secs(10));
    /// # let _ = store;
    /// ```
    #[must_use]
    pub fn with_sweep_interval(mut self, interval: impl IntoDuration) -> Self {
        self.set_sweep_interval(interval.into_std_duration());
        self
    }

    fn set_sweep_interval(&mut self, interval: Duration) {
        let ms = u64::try_from(interval.as_millis()).unwrap_or(u64::MAX);
        self.step_every_ms = ms / SHARDS as u64;
    }

    /// The largest number of entries the store holds.
    ///
    /// ```
    /// use jwt_extended::store::MemoryStore;
    /// assert_eq!(MemoryStore::new().with_capacity(5).capacity(), 5);
    /// ```
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The number of entries (revoked ids, users, consumed refresh tokens and rotation
    /// families), including expired ones that have not been swept yet.
    ///
    /// ```
    /// use jwt_extended::store::{MemoryStore, RevocationStore};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let store = MemoryStore::new();
    /// store.revoke("jti:a", 4_102_444_800).await?;
    /// store.revoke_user_before("alice", 1_700_000_000, 4_102_444_800).await?;
    /// assert_eq!(store.len(), 2);
    /// # Ok(())
    /// # }
    /// ```
    pub fn len(&self) -> usize {
        self.len.load(Ordering::Acquire)
    }

    /// Whether the store holds no entries.
    ///
    /// ```
    /// use jwt_extended::store::MemoryStore;
    /// assert!(MemoryStore::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every expired entry now, and returns how many were dropped. Entries are
    /// also dropped lazily and by the incremental sweep, so calling this is optional.
    ///
    /// ```
    /// use std::time::Duration;
    /// use jwt_extended::clock::MockClock;
    /// use jwt_extended::store::{MemoryStore, RevocationStore};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let clock = MockClock::at_unix(1_000);
    /// let store = MemoryStore::new().with_clock(clock.clone());
    /// store.revoke("jti:a", 1_010).await?;
    /// store.revoke("jti:b", 2_000).await?;
    ///
    /// clock.advance(Duration::from_secs(60));
    /// assert_eq!(store.sweep(), 1);
    /// assert_eq!(store.len(), 1);
    /// # Ok(())
    /// # }
    /// ```
    pub fn sweep(&self) -> usize {
        let now = self.now();
        (0..self.shards.len())
            .map(|i| self.sweep_shard(i, now))
            .sum()
    }

    fn sweep_shard(&self, index: usize, now: u64) -> usize {
        let (removed, users) = self.lock(index).retain_unexpired(now, &self.hasher);
        if users > 0 {
            self.users.fetch_sub(users, Ordering::SeqCst);
        }
        if removed > 0 {
            self.len.fetch_sub(removed, Ordering::AcqRel);
        }
        removed
    }

    fn now(&self) -> u64 {
        self.clock.now().as_secs()
    }

    fn lock(&self, index: usize) -> MutexGuard<'_, Shard> {
        // Nothing panics while a shard is locked except on allocation failure, and every
        // update leaves the maps consistent, so a poisoned lock still guards good data.
        self.shards[index]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The keyed hash of a key, for its shard and its table.
    fn hash<K: Hash + ?Sized>(&self, key: &K) -> u64 {
        self.hasher.hash_one(key)
    }

    /// The shard of a hash. The tables use its low bits (bucket) and top 7 bits (tag);
    /// SHARDS is a power of two, taken from bits the tables do not use below 2^32 buckets.
    fn shard_of(hash: u64) -> usize {
        (hash >> 32) as usize & (SHARDS - 1)
    }

    /// Reserves room for `n` new entries, sweeping once (per clock second) when full.
    fn reserve(&self, n: usize, now: u64) -> bool {
        if n == 0 || self.try_add(n) {
            return true;
        }
        if self.last_capacity_sweep.swap(now, Ordering::AcqRel) != now {
            self.sweep();
            return self.try_add(n);
        }
        false
    }

    fn try_add(&self, n: usize) -> bool {
        self.len
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |len| {
                len.checked_add(n).filter(|&after| after <= self.capacity)
            })
            .is_ok()
    }

    fn release(&self, n: usize) {
        if n > 0 {
            self.len.fetch_sub(n, Ordering::AcqRel);
        }
    }

    /// Reserves the largest of `n, n-1, .., 0` entries that fits.
    fn reserve_up_to(&self, n: usize, now: u64) -> usize {
        (1..=n).rev().find(|&k| self.reserve(k, now)).unwrap_or(0)
    }

    /// One step of the incremental sweep, when one is due.
    fn sweep_step(&self) {
        let now_ms = u64::try_from(self.clock.now().as_millis()).unwrap_or(u64::MAX);
        let due = self.next_step_at_ms.load(Ordering::Acquire);
        if now_ms < due
            || self
                .next_step_at_ms
                .compare_exchange(
                    due,
                    now_ms.saturating_add(self.step_every_ms),
                    Ordering::AcqRel,
                    Ordering::Acquire,
                )
                .is_err()
        {
            return;
        }
        let index = self.step_cursor.fetch_add(1, Ordering::Relaxed) & (SHARDS - 1);
        self.sweep_shard(index, now_ms / 1000);
    }

    /// Ends a single-entry write: `inserted` is `Some(true)` when the reservation was used,
    /// `Some(false)` when an entry was updated in place, `None` when there was no room.
    fn finish_write(&self, reserved: bool, inserted: Option<bool>) -> Result<(), StoreError> {
        if reserved && inserted != Some(true) {
            self.release(1);
        }
        self.sweep_step();
        inserted.map(drop).ok_or_else(|| self.capacity_error())
    }

    fn capacity_error(&self) -> StoreError {
        StoreError::new(
            StoreErrorKind::Capacity,
            format!(
                "the in-memory store is full ({} unexpired entries)",
                self.capacity
            ),
        )
    }

    /// Runs `f` on the consumed-ids map of one shard and the families map of another
    /// (possibly the same), holding both locks, taken in shard order.
    fn with_used_and_latest<R>(
        &self,
        used_shard: usize,
        latest_shard: usize,
        f: impl FnOnce(&mut HashTable<(Key, Used)>, &mut HashTable<(Key, Latest)>) -> R,
    ) -> R {
        if used_shard == latest_shard {
            let mut guard = self.lock(used_shard);
            let shard = &mut *guard;
            return f(&mut shard.used, &mut shard.latest);
        }
        let (mut used, mut latest) = if used_shard < latest_shard {
            let used = self.lock(used_shard);
            (used, self.lock(latest_shard))
        } else {
            let latest = self.lock(latest_shard);
            (self.lock(used_shard), latest)
        };
        f(&mut used.used, &mut latest.latest)
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore")
            .field("len", &self.len())
            .field("capacity", &self.capacity)
            .field("shards", &self.shards.len())
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

impl MemoryStore {
    /// The store's revision: it changes with every write that can revoke a token
    /// (counted when the write is done), and never takes the same value twice. A check
    /// that reads revision `r` first and then finds a token unrevoked gives the answer of
    /// every later check of that token as long as the revision still reads `r`: entries
    /// only leave (expired) in between, which revokes nothing.
    ///
    /// A revision is a random odd base plus twice the number of writes: never zero, and
    /// two stores' revisions start far apart. (A token is only ever checked against the one
    /// store of the manager that verified it.)
    pub(crate) fn revision(&self) -> u64 {
        // Acquire: every write counted so far (each count a read-modify-write, so they
        // form one release sequence) is visible to the lookups that follow.
        let writes = self.writes.load(Ordering::Acquire);
        self.revision_base.wrapping_add(writes.wrapping_mul(2))
    }

    /// Counts a write that can revoke a token, after it is made.
    fn wrote(&self) {
        self.writes.fetch_add(1, Ordering::AcqRel);
    }

    /// [`RevocationStore::check`] without a future, for ids given as `(prefix, id)` pairs
    /// (the id `<prefix><id>`, never built as a string): what the guards of a manager with
    /// this store call on every request.
    ///
    /// Each id comes with [`canonical_uuid`] of it, which the caller parsed once for the
    /// token (a cached token is checked on every request).
    pub(crate) fn check_joined(
        &self,
        ids: &[(&str, &str, Option<[u8; 16]>)],
        identity: Option<&str>,
    ) -> Check {
        self.check_keys(
            ids.iter()
                .map(|&(prefix, id, uuid)| Key::joined_parsed(prefix, id, uuid)),
            identity,
        )
    }

    fn check_keys(&self, keys: impl Iterator<Item = Key>, identity: Option<&str>) -> Check {
        let now = self.now();
        let mut check = Check::default();
        for key in keys {
            let hash = self.hash(&key);
            let mut shard = self.lock(Self::shard_of(hash));
            if let Ok(entry) = shard.revoked.find_entry(hash, |(k, _)| *k == key) {
                if entry.get().1 >= now {
                    check.revoked = true;
                    break;
                }
                entry.remove();
                drop(shard);
                self.release(1);
            }
        }
        // Most stores hold no per-identity entry: then there is nothing to look up.
        if let Some(identity) = identity
            && self.users.load(Ordering::SeqCst) > 0
        {
            let hash = self.hash(identity);
            let mut shard = self.lock(Self::shard_of(hash));
            if let Ok(entry) = shard
                .users
                .find_entry(hash, |(name, _)| **name == *identity)
            {
                let user = entry.get().1;
                if user.until >= now {
                    check.user_not_before = Some(user.not_before);
                } else {
                    entry.remove();
                    drop(shard);
                    self.users.fetch_sub(1, Ordering::SeqCst);
                    self.release(1);
                }
            }
        }
        check
    }
}

#[async_trait::async_trait]
impl RevocationStore for MemoryStore {
    async fn revoke(&self, id: &str, until: u64) -> Result<(), StoreError> {
        let now = self.now();
        let key = Key::new(id);
        let hash = self.hash(&key);
        let reserved = self.reserve(1, now);
        let mut shard = self.lock(Self::shard_of(hash));
        let entry = shard
            .revoked
            .entry(hash, |(k, _)| *k == key, |(k, _)| self.hasher.hash_one(k));
        let inserted = match entry {
            Entry::Occupied(mut entry) => {
                let kept = &mut entry.get_mut().1;
                // An expired entry is replaced; a live one is never shortened.
                *kept = if *kept < now { until } else { until.max(*kept) };
                Some(false)
            }
            Entry::Vacant(entry) if reserved => {
                entry.insert((key, until));
                Some(true)
            }
            Entry::Vacant(_) => None,
        };
        drop(shard);
        self.wrote();
        self.finish_write(reserved, inserted)
    }

    async fn revoke_user_before(
        &self,
        identity: &str,
        not_before: u64,
        until: u64,
    ) -> Result<(), StoreError> {
        let now = self.now();
        let hash = self.hash(identity);
        let reserved = self.reserve(1, now);
        // Counted before the entry can be seen (see `users`).
        self.users.fetch_add(1, Ordering::SeqCst);
        let inserted = {
            let mut shard = self.lock(Self::shard_of(hash));
            match shard.users.find_mut(hash, |(name, _)| **name == *identity) {
                Some((_, user)) => {
                    *user = if user.until < now {
                        UserEntry { not_before, until }
                    } else {
                        UserEntry {
                            not_before: not_before.max(user.not_before),
                            until: until.max(user.until),
                        }
                    };
                    Some(false)
                }
                None if reserved => {
                    let entry = UserEntry { not_before, until };
                    shard
                        .users
                        .insert_unique(hash, (identity.into(), entry), |(name, _)| {
                            self.hasher.hash_one(&**name)
                        });
                    Some(true)
                }
                None => None,
            }
        };
        self.wrote();
        if inserted != Some(true) {
            self.users.fetch_sub(1, Ordering::SeqCst);
        }
        self.finish_write(reserved, inserted)
    }

    async fn check(&self, ids: &[&str], identity: Option<&str>) -> Result<Check, StoreError> {
        Ok(self.check_keys(ids.iter().map(|id| Key::new(id)), identity))
    }

    async fn consume(
        &self,
        family: &str,
        id: &str,
        now: u64,
        until: u64,
    ) -> Result<Consumption, StoreError> {
        let clock_now = self.now();
        let id_key = Key::new(id);
        let family_key = Key::new(family);
        let (id_hash, family_hash) = (self.hash(&id_key), self.hash(&family_key));
        let (used_shard, latest_shard) = (Self::shard_of(id_hash), Self::shard_of(family_hash));
        let reserved = self.reserve_up_to(2, clock_now);
        let rehash = |key: &Key| self.hasher.hash_one(key);
        let outcome = self.with_used_and_latest(used_shard, latest_shard, |used, latest| {
            let live = |kept_until: u64| kept_until >= clock_now;
            let first = used
                .find(id_hash, |(k, _)| *k == id_key)
                .map(|(_, u)| *u)
                .filter(|u| live(u.until));
            if let Some(first) = first {
                let is_latest = latest
                    .find(family_hash, |(k, _)| *k == family_key)
                    .is_some_and(|(_, l)| live(l.until) && l.id == id_key);
                return Ok((
                    Consumption::Reused {
                        first_used_at: first.first_used_at,
                        latest: is_latest,
                    },
                    0,
                ));
            }
            // Expired entries still present are replaced in place.
            let needed = usize::from(used.find(id_hash, |(k, _)| *k == id_key).is_none())
                + usize::from(
                    latest
                        .find(family_hash, |(k, _)| *k == family_key)
                        .is_none(),
                );
            if needed > reserved {
                return Err(());
            }
            let newest = Latest {
                id: id_key.clone(),
                until,
            };
            match latest.entry(family_hash, |(k, _)| *k == family_key, |(k, _)| rehash(k)) {
                Entry::Occupied(mut entry) => entry.get_mut().1 = newest,
                Entry::Vacant(entry) => {
                    entry.insert((family_key, newest));
                }
            }
            let first_use = Used {
                first_used_at: now,
                until,
            };
            match used.entry(id_hash, |(k, _)| *k == id_key, |(k, _)| rehash(k)) {
                Entry::Occupied(mut entry) => entry.get_mut().1 = first_use,
                Entry::Vacant(entry) => {
                    entry.insert((id_key, first_use));
                }
            }
            Ok((Consumption::First, needed))
        });
        let result = match outcome {
            Ok((consumption, used)) => {
                self.release(reserved - used);
                Ok(consumption)
            }
            Err(()) => {
                self.release(reserved);
                Err(self.capacity_error())
            }
        };
        self.sweep_step();
        result
    }
}

/// One shard: every kind of entry whose key hashes to it, in tables of `(key, value)`
/// found by the store's keyed hash of the key.
#[derive(Default)]
struct Shard {
    /// Revoked id → kept until.
    revoked: HashTable<(Key, u64)>,
    /// Identity → "not before" time.
    users: HashTable<(Box<str>, UserEntry)>,
    /// Consumed refresh-token id → first use.
    used: HashTable<(Key, Used)>,
    /// Rotation family → its most recently consumed id.
    latest: HashTable<(Key, Latest)>,
}

impl Shard {
    /// Drops entries kept until before `now`; returns how many, and how many of them were
    /// per-identity entries.
    fn retain_unexpired(&mut self, now: u64, hasher: &RandomState) -> (usize, usize) {
        fn retain<T>(
            table: &mut HashTable<T>,
            keep: impl Fn(&T) -> bool,
            rehash: impl Fn(&T) -> u64,
        ) -> usize {
            let before = table.len();
            table.retain(|entry| keep(entry));
            // Give memory back after a large purge (hash tables never shrink by themselves).
            if table.capacity() > 64 && table.len() < table.capacity() / 4 {
                table.shrink_to(table.len() * 2, rehash);
            }
            before - table.len()
        }
        let key = |k: &Key| hasher.hash_one(k);
        let users = retain(
            &mut self.users,
            |e| e.1.until >= now,
            |e| hasher.hash_one(&*e.0),
        );
        let others = retain(&mut self.revoked, |e| e.1 >= now, |e| key(&e.0))
            + retain(&mut self.used, |e| e.1.until >= now, |e| key(&e.0))
            + retain(&mut self.latest, |e| e.1.until >= now, |e| key(&e.0));
        (users + others, users)
    }
}

#[derive(Debug, Clone, Copy)]
struct UserEntry {
    not_before: u64,
    until: u64,
}

#[derive(Debug, Clone, Copy)]
struct Used {
    first_used_at: u64,
    until: u64,
}

#[derive(Debug)]
struct Latest {
    id: Key,
    until: u64,
}

/// A stored id. Two ids are equal exactly when their `Key`s are equal: a string has one
/// form only (compact when it parses as `<prefix>:<canonical uuid>`, verbatim otherwise),
/// and the compact form keeps every byte of the string (prefix, its length, the uuid).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Key {
    /// `<prefix>:<uuid>`: `prefix[..prefix_len]` is the prefix, the rest is zero.
    Uuid {
        prefix_len: u8,
        prefix: [u8; PREFIX_MAX],
        uuid: [u8; 16],
    },
    /// Any other id, verbatim.
    Other(Box<str>),
}

/// Hashed in one write (a compact key's 24 bytes), so that the keyed hash is cheap: equal
/// keys write equal bytes, as `Hash` requires.
impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            Self::Uuid {
                prefix_len,
                prefix,
                uuid,
            } => {
                let mut bytes = [0u8; 24];
                bytes[0] = *prefix_len;
                bytes[1..=PREFIX_MAX].copy_from_slice(prefix);
                bytes[8..].copy_from_slice(uuid);
                state.write(&bytes);
            }
            Self::Other(id) => id.hash(state),
        }
    }
}

impl Key {
    fn new(id: &str) -> Self {
        Self::compact(id.as_bytes()).unwrap_or_else(|| Self::Other(id.into()))
    }

    /// The key of the id `<prefix><id>`: the same as `Key::new` of that string, which is
    /// only built (on the heap) when it is not compact.
    fn joined(prefix: &str, id: &str) -> Self {
        const MAX: usize = PREFIX_MAX + 1 + UUID_LEN;
        let len = prefix.len() + id.len();
        if len <= MAX {
            let mut bytes = [0u8; MAX];
            bytes[..prefix.len()].copy_from_slice(prefix.as_bytes());
            bytes[prefix.len()..len].copy_from_slice(id.as_bytes());
            if let Some(key) = Self::compact(&bytes[..len]) {
                return key;
            }
        }
        Self::Other(format!("{prefix}{id}").into())
    }

    /// [`Key::joined`], given `uuid`, the [`canonical_uuid`] of `id`: a compact key is then
    /// built without parsing `id` again.
    fn joined_parsed(prefix: &str, id: &str, uuid: Option<[u8; 16]>) -> Self {
        debug_assert_eq!(uuid, canonical_uuid(id.as_bytes()));
        match (uuid, prefix.strip_suffix(':')) {
            (Some(uuid), Some(name)) if name.len() <= PREFIX_MAX => {
                let mut bytes = [0; PREFIX_MAX];
                bytes[..name.len()].copy_from_slice(name.as_bytes());
                Self::Uuid {
                    prefix_len: name.len() as u8,
                    prefix: bytes,
                    uuid,
                }
            }
            _ => Self::joined(prefix, id),
        }
    }

    fn compact(id: &[u8]) -> Option<Self> {
        let prefix_len = id.len().checked_sub(UUID_LEN + 1)?;
        if prefix_len > PREFIX_MAX || id[prefix_len] != b':' {
            return None;
        }
        let uuid = canonical_uuid(&id[prefix_len + 1..])?;
        let mut prefix = [0; PREFIX_MAX];
        prefix[..prefix_len].copy_from_slice(&id[..prefix_len]);
        Some(Self::Uuid {
            prefix_len: prefix_len as u8,
            prefix,
            uuid,
        })
    }
}

/// The 16 bytes of a UUID written in canonical form: `8-4-4-4-12` lower-case hex digits.
/// Anything else (upper case, braces, no hyphens) is not canonical and gives `None`.
pub(crate) fn canonical_uuid(text: &[u8]) -> Option<[u8; 16]> {
    // At 36 bytes the uuid crate's parser (table-driven) accepts the hyphenated form only,
    // in either case; canonical is lower case.
    if text.len() != UUID_LEN || text.iter().any(u8::is_ascii_uppercase) {
        return None;
    }
    uuid::Uuid::try_parse_ascii(text)
        .ok()
        .map(uuid::Uuid::into_bytes)
}

#[cfg(test)]
mod tests;
