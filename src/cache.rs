//! The verified-token cache: clients send the same token many times, so the result of
//! signature verification and claim parsing is kept per exact token text.
//!
//! # Why this is safe
//!
//! - The key is the whole token text, compared byte for byte on every hit (a `HashMap` finds
//!   the bucket by hash, then compares the keys): a different token, even one with the same
//!   hash, never hits. An ECDSA-malleated twin is a different text, so it is verified on its
//!   own (and revocation, by `jti`, catches it either way).
//! - Only tokens that passed every check of [`JwtManager::decode_token`] are stored, so a hit
//!   can only return what a full verification returned for the same bytes under the same
//!   keys and settings. The cache belongs to one manager, whose keys never change: a manager
//!   built with other keys starts with an empty cache.
//! - What depends on time or on the request is checked on every request, hit or miss: `exp`,
//!   `nbf` and `iat` against the clock (with leeway), the token type, freshness, CSRF, the
//!   revocation store, the blocklist, claims verification and user lookup.
//! - Entries go at the token's `exp` (an expired entry is dropped when found), and the cache
//!   is bounded: when a shard is full, expired entries are dropped first, then the oldest.
//!   Dropping an entry only costs a re-verification.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex};

use crate::claims::DecodedToken;
use crate::error::{ErrorKind, JwtError};

const SHARDS: usize = 16;

pub(crate) struct TokenCache {
    shards: Box<[Mutex<Shard>]>,
    hasher: RandomState,
    per_shard: usize,
}

#[derive(Default)]
struct Shard {
    map: HashMap<Box<str>, Entry>,
    tick: u64,
}

struct Entry {
    token: Arc<DecodedToken>,
    inserted: u64,
}

impl TokenCache {
    /// A cache of about `capacity` tokens (`None` when `capacity` is zero: caching off).
    pub(crate) fn new(capacity: usize) -> Option<Self> {
        if capacity == 0 {
            return None;
        }
        let per_shard = capacity.div_ceil(SHARDS).max(1);
        Some(Self {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            hasher: RandomState::new(),
            per_shard,
        })
    }

    fn shard(&self, token: &str) -> &Mutex<Shard> {
        let i = (self.hasher.hash_one(token) as usize) % SHARDS;
        &self.shards[i]
    }

    /// The cached verification of `token`, re-checked against the clock.
    pub(crate) fn get(
        &self,
        token: &str,
        now: u64,
        leeway: u64,
    ) -> Option<Result<Arc<DecodedToken>, JwtError>> {
        let mut shard = self.shard(token).lock().ok()?;
        let entry = shard.map.get(token)?;
        let hit = entry.token.clone();
        if hit.exp.is_some_and(|exp| exp.saturating_add(leeway) <= now) {
            shard.map.remove(token);
            return Some(Err(
                JwtError::new(ErrorKind::Expired, "Token has expired").with_token(hit)
            ));
        }
        drop(shard);
        let soon = now.saturating_add(leeway);
        if hit.nbf.is_some_and(|nbf| nbf > soon) {
            return Some(Err(JwtError::invalid("The token is not yet valid (nbf)")));
        }
        if hit.iat.is_some_and(|iat| iat > soon) {
            return Some(Err(JwtError::invalid("The token is not yet valid (iat)")));
        }
        Some(Ok(hit))
    }

    /// Stores a verified token.
    pub(crate) fn insert(&self, token: &str, decoded: Arc<DecodedToken>, now: u64) {
        let Ok(mut shard) = self.shard(token).lock() else {
            return;
        };
        if shard.map.len() >= self.per_shard && !shard.map.contains_key(token) {
            shard
                .map
                .retain(|_, e| e.token.exp.is_none_or(|exp| exp > now));
            if shard.map.len() >= self.per_shard {
                let oldest = shard
                    .map
                    .iter()
                    .min_by_key(|(_, e)| e.inserted)
                    .map(|(k, _)| k.clone());
                if let Some(k) = oldest {
                    shard.map.remove(&k);
                }
            }
        }
        shard.tick += 1;
        let inserted = shard.tick;
        shard.map.insert(
            token.into(),
            Entry {
                token: decoded,
                inserted,
            },
        );
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().map(|s| s.map.len()).unwrap_or(0))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{JwtManager, MockClock};

    fn manager(clock: &MockClock) -> JwtManager {
        JwtManager::builder()
            .secret("an-example-secret-of-at-least-32-bytes!")
            .clock(clock.clone())
            .build()
            .unwrap()
    }

    #[test]
    fn bounded_and_expiring() {
        let clock = MockClock::at_unix(1_800_000_000);
        let m = manager(&clock);
        let cache = TokenCache::new(32).unwrap();
        let now = 1_800_000_000;
        let tokens: Vec<String> = (0..200)
            .map(|_| m.create_access_token("a").unwrap())
            .collect();
        for t in &tokens {
            cache.insert(t, Arc::new(m.decode_token(t).unwrap()), now);
        }
        assert!(cache.len() <= 32, "{}", cache.len());
        let last = tokens.last().unwrap();
        assert!(cache.get(last, now, 0).unwrap().is_ok());
        // A different text never hits, even a prefix or an extension of a cached one.
        assert!(cache.get(&last[..last.len() - 1], now, 0).is_none());
        assert!(cache.get(&format!("{last}x"), now, 0).is_none());
        // At exp the entry answers "expired" and is dropped.
        let e = cache.get(last, now + 900, 0).unwrap().unwrap_err();
        assert!(e.is_expired());
        assert!(cache.get(last, now + 900, 0).is_none());
        assert!(TokenCache::new(0).is_none());
    }
}
