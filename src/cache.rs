//! The verified-token cache: clients send the same token many times, so the result of
//! signature verification and claim parsing is kept per exact token text.
//!
//! # Why this is safe
//!
//! - A hit needs the whole token text, compared byte for byte: the hash only says where to
//!   look. A different token, even one with the same hash, never hits (it is a miss, and is
//!   verified in full). An ECDSA-malleated twin is a different text, so it is verified on its
//!   own (and revocation, by `jti`, catches it either way).
//! - Only tokens that passed every check of [`JwtManager::decode_token`] are stored, so a hit
//!   can only return what a full verification returned for the same bytes under the same
//!   keys and settings. The cache belongs to one manager, whose keys never change: a manager
//!   built with other keys starts with an empty cache.
//! - An entry keeps a lean copy of the verification ([`DecodedToken::lean`]): the same
//!   values (with the token's text, which hits are compared with, in the same buffer), and
//!   the verified payload's text instead of the parsed claims, which are parsed
//!   again from that text (the very bytes whose signature was checked, by serde_json)
//!   when a caller asks for them. Dropping an entry is then a few frees, however many
//!   claims the token has; and when a new entry pushes out one that no request holds, the
//!   old one's allocations are refilled with the new values ([`DecodedToken::lean_into`],
//!   which sets every field), not freed and allocated again.
//! - What depends on time or on the request is checked on every request, hit or miss: `iat`,
//!   `nbf` and `exp` against the clock (with leeway), by the same function and in the same
//!   order as a full verification ([`check_times`]), the token type, freshness, CSRF, the
//!   revocation store, the blocklist, claims verification and user lookup.
//! - Entries go at the token's `exp` (an expired entry is dropped when found, and expired
//!   entries at the old end of a shard are dropped as new ones come in), and the cache is
//!   bounded: each shard keeps at most its share of the capacity and drops its oldest entry
//!   first. Dropping an entry only costs a re-verification.
//! - Admission: while a shard has room, a verified token goes in at once. When it is full, a
//!   token goes in (pushing the oldest out) only when it is verified a second time: a table
//!   of hashes remembers the first time. So a stream of tokens each sent once (one request
//!   per login, a scan, a flood of valid tokens) neither pushes out the tokens clients keep
//!   sending nor costs an entry each; a token in use is cached from its second request.
//!
//! # Why it is fast
//!
//! The bucket is found from a keyed hash of the token's length and its last 16 bytes: the
//! end of the signature, which differs between any two tokens the keys really signed (only
//! those are ever stored), so a multiply-and-fold with random keys is enough to spread them. A forged token can copy a stored token's signature, and so its
//! hash, but then the byte comparison fails and it is verified, refused and never stored: it
//! can neither hit nor push anything out. A hit takes a shard's read lock, so concurrent
//! requests with the same token do not wait for each other.
//!
//! [`JwtManager::decode_token`]: crate::JwtManager::decode_token

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use crate::claims::DecodedToken;
use crate::decode::{check_times, expired};
use crate::error::JwtError;

const SHARDS: usize = 16;

/// How many bytes at the end of a token feed the hash.
const HASHED_TAIL: usize = 16;

pub(crate) struct TokenCache {
    shards: Box<[RwLock<Shard>]>,
    /// Random keys of the hash.
    keys: [u64; 3],
    per_shard: usize,
    /// Hashes of tokens verified once while their shard was full, one per slot (a slot is
    /// overwritten by the next such token that maps to it).
    seen_once: Box<[AtomicU64]>,
}

#[derive(Default)]
struct Shard {
    /// Entries by hash (already a keyed hash, so the map does not hash again).
    map: HashMap<u64, Entry, BuildHasherDefault<Prehashed>>,
    /// `(hash, seq)` of every insertion, oldest first; a record whose entry was replaced or
    /// removed since is stale and skipped.
    order: VecDeque<(u64, u64)>,
    seq: u64,
}

struct Entry {
    /// A lean copy, which also holds the token's text.
    decoded: Arc<DecodedToken>,
    seq: u64,
}

/// The folded 128-bit product (the mixing step of foldhash and wyhash).
fn fold_mul(a: u64, b: u64) -> u64 {
    let p = u128::from(a) * u128::from(b);
    (p as u64) ^ ((p >> 64) as u64)
}

impl Shard {
    /// Takes the oldest live entry out, with its record (stale records before it go).
    fn pop_oldest(&mut self) -> Option<Arc<DecodedToken>> {
        while let Some((old, old_seq)) = self.order.pop_front() {
            if self.map.get(&old).is_some_and(|e| e.seq == old_seq) {
                return self.map.remove(&old).map(|e| e.decoded);
            }
        }
        None
    }

    /// Drops, from the old end, stale records, expired entries and entries beyond `max`.
    fn drop_old(&mut self, max: usize, now: u64) {
        while let Some(&(old, old_seq)) = self.order.front() {
            let live = self.map.get(&old).filter(|e| e.seq == old_seq);
            let keep = live.is_some_and(|e| {
                self.order.len() <= max && e.decoded.exp.is_none_or(|exp| exp > now)
            });
            if keep {
                break;
            }
            if live.is_some() {
                self.map.remove(&old);
            }
            self.order.pop_front();
        }
    }
}

/// A `Hasher` for keys that are hashes already.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used; anything else still hashes (FNV-1a).
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

impl TokenCache {
    /// A cache of about `capacity` tokens (`None` when `capacity` is zero: caching off).
    pub(crate) fn new(capacity: usize) -> Option<Self> {
        if capacity == 0 {
            return None;
        }
        let per_shard = capacity.div_ceil(SHARDS).max(1);
        let slots = per_shard
            .saturating_mul(SHARDS)
            .clamp(64, 1 << 20)
            .next_power_of_two();
        Some(Self {
            shards: (0..SHARDS).map(|_| RwLock::default()).collect(),
            keys: {
                let random = RandomState::new();
                [1u8, 2, 3].map(|i| random.hash_one(i))
            },
            per_shard,
            seen_once: (0..slots).map(|_| AtomicU64::new(0)).collect(),
        })
    }

    fn hash(&self, bytes: &[u8]) -> u64 {
        let take = bytes.len().min(HASHED_TAIL);
        let mut tail = [0u8; HASHED_TAIL];
        tail[HASHED_TAIL - take..].copy_from_slice(&bytes[bytes.len() - take..]);
        let [lo, hi] = [&tail[..8], &tail[8..]]
            .map(|half| u64::from_le_bytes(half.try_into().unwrap_or_default()));
        let [k0, k1, k2] = self.keys;
        let h = fold_mul(lo ^ k0, hi ^ k1 ^ bytes.len() as u64);
        fold_mul(h, k2)
    }

    fn shard(&self, hash: u64) -> &RwLock<Shard> {
        // The map uses the low bits and the top 7; pick the shard from others.
        &self.shards[(hash >> 32) as usize % SHARDS]
    }

    /// The cached verification of `token`, re-checked against the clock.
    ///
    /// `token` is the text as sent, bytes not yet checked in any way: a hit means they are
    /// exactly the text of a token that passed a full verification.
    pub(crate) fn get(
        &self,
        token: &[u8],
        now: u64,
        leeway: u64,
    ) -> Option<Result<Arc<DecodedToken>, JwtError>> {
        let hash = self.hash(token);
        let hit = {
            let shard = self.shard(hash).read().ok()?;
            let entry = shard.map.get(&hash)?;
            if entry.decoded.texts.token().as_bytes() != token {
                return None; // same hash, other token: verify it in full
            }
            entry.decoded.clone()
        };
        // The same checks, in the same order, as a full verification.
        let times = check_times(Ok(hit.iat), Ok(hit.nbf), Ok(hit.exp), now, leeway);
        match times {
            Err(e) => Some(Err(e)),
            Ok(t) if t.expired => {
                if let Ok(mut shard) = self.shard(hash).write()
                    && shard
                        .map
                        .get(&hash)
                        .is_some_and(|e| Arc::ptr_eq(&e.decoded, &hit))
                {
                    shard.map.remove(&hash);
                }
                Some(Err(expired(hit)))
            }
            Ok(_) => Some(Ok(hit)),
        }
    }

    /// Stores a verified token (see "Admission" above), dropping the shard's oldest entries
    /// beyond its share of the capacity and expired entries at its old end.
    ///
    /// The entry keeps a [lean](DecodedToken::lean) copy (no parsed claims, and the token's
    /// text in the same buffer as the payload): dropping it when it leaves, by then long out
    /// of the CPU's caches, costs three frees instead of one per claim, and an entry pushed
    /// out by this one is refilled instead when no request holds it.
    pub(crate) fn insert(&self, token: &str, decoded: &DecodedToken, now: u64) {
        let hash = self.hash(token.as_bytes());
        let Ok(mut guard) = self.shard(hash).write() else {
            return;
        };
        let shard = &mut *guard;
        shard.drop_old(self.per_shard, now);
        if shard.order.len() >= self.per_shard && !shard.map.contains_key(&hash) {
            let slot = &self.seen_once[hash as usize & (self.seen_once.len() - 1)];
            if slot.swap(hash, Ordering::Relaxed) != hash {
                return; // first time: remembered, not stored
            }
        }
        // A full shard pushes its oldest entry out for this one: when no request holds it,
        // its allocations are refilled instead of freed cold and allocated again.
        let pushed_out = if shard.order.len() >= self.per_shard && !shard.map.contains_key(&hash) {
            shard.pop_oldest()
        } else {
            None
        };
        let decoded = match pushed_out {
            Some(mut old) => match Arc::get_mut(&mut old) {
                Some(target) => {
                    decoded.lean_into(token, target);
                    old
                }
                None => Arc::new(decoded.lean(token)),
            },
            None => Arc::new(decoded.lean(token)),
        };
        shard.seq += 1;
        let seq = shard.seq;
        shard.map.insert(hash, Entry { decoded, seq });
        shard.order.push_back((hash, seq));
        shard.drop_old(self.per_shard, now);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.read().map(|s| s.map.len()).unwrap_or(0))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::{Freshness, Hot, Texts, TokenType, claim_bit};
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use serde_json::{Map, Value, json};
    use std::sync::OnceLock;

    /// The default access token lifetime (15 minutes).
    const LIFETIME: u64 = 900;

    /// A new token text shaped as a signed HS256 token: each one ends in a different
    /// signature.
    fn new_token() -> String {
        let signature = [
            uuid::Uuid::new_v4().into_bytes(),
            uuid::Uuid::new_v4().into_bytes(),
        ];
        format!(
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.{}.{}",
            URL_SAFE_NO_PAD.encode(format!(r#"{{"sub":"a","jti":"{}"}}"#, uuid::Uuid::new_v4())),
            URL_SAFE_NO_PAD.encode(signature.concat())
        )
    }

    /// A new token that falls in shard 0 of `cache`.
    fn token_in_shard_0(cache: &TokenCache) -> String {
        loop {
            let t = new_token();
            if ((cache.hash(t.as_bytes()) >> 32) as usize).is_multiple_of(SHARDS) {
                break t;
            }
        }
    }

    /// The verification of an access token issued at `iat` for "a".
    fn verified(iat: u64) -> DecodedToken {
        verification(json!({"sub": "a", "iat": iat, "nbf": iat, "exp": iat + LIFETIME}))
    }

    /// A verification for `sub` with `jti`, issued at `iat`.
    fn verified_as(sub: &str, jti: &str, iat: u64) -> DecodedToken {
        verification(json!({"sub": sub, "jti": jti, "iat": iat, "exp": iat + LIFETIME}))
    }

    /// What verification makes of these claims (`sub`, and `jti`, `iat`, `nbf`, `exp` when
    /// present), with a header of its own.
    fn verification(claims: Value) -> DecodedToken {
        let claims: Map<String, Value> = claims.as_object().cloned().unwrap_or_default();
        let time = |name: &str| claims.get(name).and_then(Value::as_u64);
        let mut hot = [None; Hot::COUNT];
        hot[Hot::Jti as usize] = claims.get("jti").and_then(Value::as_str);
        DecodedToken {
            header: Arc::new(Map::new()),
            names: claims.keys().fold(0, |bits, name| bits | claim_bit(name)),
            texts: Texts::new(&Value::Object(claims.clone()).to_string(), hot),
            uuids: OnceLock::new(),
            clean_at: Default::default(),
            identity: claims["sub"].clone(),
            identity_claim: "sub".into(),
            algorithm: jsonwebtoken::Algorithm::HS256,
            token_type: TokenType::Access,
            fresh: Freshness::Bool(false),
            exp: time("exp"),
            iat: time("iat"),
            nbf: time("nbf"),
            external: false,
            claims: OnceLock::from(claims),
        }
    }

    #[test]
    fn bounded_and_expiring() {
        let cache = TokenCache::new(32).unwrap();
        let now = 1_800_000_000;
        let tokens: Vec<String> = (0..200).map(|_| new_token()).collect();
        // Each twice: a full shard takes a token on its second verification.
        for t in &tokens {
            for _ in 0..2 {
                cache.insert(t, &verified(now), now);
            }
        }
        assert!(cache.len() <= 32, "{}", cache.len());
        let last = tokens.last().unwrap();
        assert!(cache.get(last.as_bytes(), now, 0).unwrap().is_ok());
        // A different text never hits, even a prefix or an extension of a cached one.
        assert!(
            cache
                .get(&last.as_bytes()[..last.len() - 1], now, 0)
                .is_none()
        );
        assert!(cache.get(format!("{last}x").as_bytes(), now, 0).is_none());
        // At exp the entry answers "expired" and is dropped.
        let e = cache
            .get(last.as_bytes(), now + 900, 0)
            .unwrap()
            .unwrap_err();
        assert!(e.is_expired());
        assert!(cache.get(last.as_bytes(), now + 900, 0).is_none());
        assert!(TokenCache::new(0).is_none());
        // A huge capacity is a limit, not an allocation.
        assert!(TokenCache::new(usize::MAX).is_some());
    }

    #[test]
    fn a_hash_is_never_enough() {
        let cache = TokenCache::new(100).unwrap();
        let now = 1_800_000_000;
        let token = new_token();
        cache.insert(&token, &verified(now), now);
        // Same length and same last 32 bytes, so the same hash: a miss, not a hit.
        let forged = format!("X{}", &token[1..]);
        assert_eq!(cache.hash(forged.as_bytes()), cache.hash(token.as_bytes()));
        assert!(cache.get(forged.as_bytes(), now, 0).is_none());
        assert!(cache.get(token.as_bytes(), now, 0).unwrap().is_ok());
        // A stored token with that hash replaces the other one; the other one then misses.
        cache.insert(&forged, &verified(now), now);
        assert!(cache.get(token.as_bytes(), now, 0).is_none());
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn admission_oldest_out_first_and_expired_swept() {
        // 16 shards of 2 entries each.
        let cache = TokenCache::new(32).unwrap();
        let now = 1_800_000_000;
        let in_shard_0 = || token_in_shard_0(&cache);
        let shard: Vec<String> = (0..3).map(|_| in_shard_0()).collect();
        // A token verified at `now` (issued then).
        let insert = |t: &String, now| cache.insert(t, &verified(now), now);
        insert(&shard[0], now);
        insert(&shard[1], now);
        assert_eq!(cache.len(), 2, "room: stored at once");
        // Full: the first verification is only remembered, the second one stores.
        insert(&shard[2], now);
        assert!(
            cache.get(shard[2].as_bytes(), now, 0).is_none(),
            "seen once"
        );
        assert!(cache.get(shard[0].as_bytes(), now, 0).unwrap().is_ok());
        insert(&shard[2], now);
        assert!(
            cache.get(shard[0].as_bytes(), now, 0).is_none(),
            "the oldest is dropped"
        );
        assert!(cache.get(shard[1].as_bytes(), now, 0).unwrap().is_ok());
        assert!(cache.get(shard[2].as_bytes(), now, 0).unwrap().is_ok());
        // Once expired, the old end of the shard goes as soon as anything is inserted.
        let later = now + 15 * 60;
        let fresh = in_shard_0();
        insert(&fresh, later);
        assert_eq!(cache.len(), 1, "expired entries make room");
        assert!(cache.get(fresh.as_bytes(), later, 0).unwrap().is_ok());
    }

    /// `entry` holds exactly what `decoded.lean(token)` holds.
    fn assert_lean_of(entry: &DecodedToken, decoded: &DecodedToken, token: &str) {
        let lean = decoded.lean(token);
        assert_eq!(entry.texts.payload(), lean.texts.payload());
        assert_eq!(entry.texts.token(), token);
        for hot in [Hot::Jti, Hot::Csrf, Hot::Pair, Hot::Family, Hot::Iss] {
            assert_eq!(entry.hot(hot), lean.hot(hot));
        }
        assert!(Arc::ptr_eq(&entry.header, &lean.header));
        assert!(
            entry.claims.get().is_none(),
            "claims parsed again on demand"
        );
        assert_eq!(entry.uuids.get(), lean.uuids.get());
        assert!(entry.clean_at.is(0), "never checked");
        assert_eq!(entry.names, lean.names);
        assert_eq!(entry.identity, lean.identity);
        assert_eq!(entry.identity_claim, lean.identity_claim);
        assert_eq!(entry.algorithm, lean.algorithm);
        assert_eq!(entry.token_type, lean.token_type);
        assert_eq!(entry.fresh, lean.fresh);
        assert_eq!(
            (entry.exp, entry.iat, entry.nbf),
            (lean.exp, lean.iat, lean.nbf)
        );
        assert_eq!(entry.external, lean.external);
        // And the claims, parsed again, are the verification's.
        assert_eq!(entry.claims(), decoded.claims());
    }

    #[test]
    fn a_pushed_out_entry_is_refilled_only_when_nobody_holds_it() {
        // 16 shards of 2 entries each.
        let cache = TokenCache::new(32).unwrap();
        let now = 1_800_000_000;
        let in_shard_0 = || token_in_shard_0(&cache);
        let [a, b, c, d] = [0; 4].map(|_| in_shard_0());
        let va = verified_as("alice", "jti-a", now);
        let vb = verified_as("bob", "jti-b", now);
        let vc = verified_as(
            "carol-with-a-longer-name",
            "jti-c-longer-than-the-others",
            now,
        );
        let vd = verified_as("d", "jti-d", now);
        cache.insert(&a, &va, now);
        cache.insert(&b, &vb, now);

        // A request holds a's entry while c pushes it out: a's entry stays a's.
        let held = cache.get(a.as_bytes(), now, 0).unwrap().unwrap();
        for _ in 0..2 {
            cache.insert(&c, &vc, now);
        }
        assert!(cache.get(a.as_bytes(), now, 0).is_none());
        assert_lean_of(&held, &va, &a);
        let got_c = cache.get(c.as_bytes(), now, 0).unwrap().unwrap();
        assert!(!Arc::ptr_eq(&got_c, &held));
        assert_lean_of(&got_c, &vc, &c);
        drop(got_c);

        // Nobody holds b's entry (its check left marks on it): d refills it.
        let b_entry = cache.get(b.as_bytes(), now, 0).unwrap().unwrap();
        let _ = b_entry.uuids.set([Some([7; 16]), None, None]);
        b_entry.clean_at.set(99);
        let b_ptr = Arc::as_ptr(&b_entry);
        drop(b_entry);
        for _ in 0..2 {
            cache.insert(&d, &vd, now);
        }
        assert!(cache.get(b.as_bytes(), now, 0).is_none());
        let got_d = cache.get(d.as_bytes(), now, 0).unwrap().unwrap();
        assert_eq!(Arc::as_ptr(&got_d), b_ptr, "b's allocation, refilled");
        assert_lean_of(&got_d, &vd, &d);
        drop(got_d);

        // Longer texts and identity than the entry had: its buffers grow. (The shard holds
        // c, then d: e pushes c out, then f pushes d out.)
        let d_ptr = Arc::as_ptr(&cache.get(d.as_bytes(), now, 0).unwrap().unwrap());
        let [e, f] = [0; 2].map(|_| in_shard_0());
        for t in [&e, &e, &f, &f] {
            cache.insert(t, &vc, now);
        }
        assert!(cache.get(d.as_bytes(), now, 0).is_none());
        let got_f = cache.get(f.as_bytes(), now, 0).unwrap().unwrap();
        assert_eq!(Arc::as_ptr(&got_f), d_ptr);
        assert_lean_of(&got_f, &vc, &f);
    }
}
