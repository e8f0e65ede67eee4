//! Revocation stores: where revoked token ids, per-user "not before" times and consumed
//! refresh tokens are kept, so that a revoked token is never accepted again while it is
//! unexpired, across restarts and across instances.
//!
//! [`RevocationStore`] is the trait; [`MemoryStore`] (feature `memory-store`, on by default)
//! keeps everything in the process, and `RedisStore` (feature `redis`) in Redis, shared by
//! every instance and durable with AOF.
//!
//! Every store fails closed: an error from a store makes the request fail with
//! `503 Service Unavailable`, never pass.
//!
//! # Implementing a custom store
//!
//! ```
//! use std::collections::HashMap;
//! use std::sync::Mutex;
//! use jwt_extended::store::{Check, Consumption, RevocationStore, StoreError};
//!
//! #[derive(Debug, Default)]
//! struct MyStore(Mutex<HashMap<String, u64>>);
//!
//! #[async_trait::async_trait]
//! impl RevocationStore for MyStore {
//!     async fn revoke(&self, id: &str, until: u64) -> Result<(), StoreError> {
//!         self.0.lock().map_err(|_| StoreError::unavailable("poisoned"))?.insert(format!("id:{id}"), until);
//!         Ok(())
//!     }
//!     async fn revoke_user_before(&self, identity: &str, not_before: u64, _until: u64) -> Result<(), StoreError> {
//!         let mut map = self.0.lock().map_err(|_| StoreError::unavailable("poisoned"))?;
//!         let entry = map.entry(format!("user:{identity}")).or_insert(0);
//!         *entry = (*entry).max(not_before);
//!         Ok(())
//!     }
//!     async fn check(&self, ids: &[&str], identity: Option<&str>) -> Result<Check, StoreError> {
//!         let map = self.0.lock().map_err(|_| StoreError::unavailable("poisoned"))?;
//!         Ok(Check {
//!             revoked: ids.iter().any(|id| map.contains_key(&format!("id:{id}"))),
//!             user_not_before: identity.and_then(|i| map.get(&format!("user:{i}")).copied()),
//!         })
//!     }
//!     async fn consume(&self, family: &str, id: &str, now: u64, until: u64) -> Result<Consumption, StoreError> {
//!         let mut map = self.0.lock().map_err(|_| StoreError::unavailable("poisoned"))?;
//!         if map.insert(format!("used:{id}"), now).is_none() {
//!             map.insert(format!("last:{family}"), now);
//!             return Ok(Consumption::First);
//!         }
//!         Ok(Consumption::Reused { first_used_at: map[&format!("used:{id}")], latest: false })
//!     }
//! }
//! ```

use std::borrow::Cow;
use std::fmt;

#[cfg(feature = "memory-store")]
mod memory;
#[cfg(feature = "memory-store")]
#[cfg_attr(docsrs, doc(cfg(feature = "memory-store")))]
pub use memory::MemoryStore;
#[cfg(feature = "memory-store")]
pub(crate) use memory::canonical_uuid;
#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use self::redis::{RedisStore, RedisStoreBuilder};

/// The result of [`RevocationStore::check`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Check {
    /// One of the ids asked about is revoked.
    pub revoked: bool,
    /// The identity's tokens issued before this time (seconds since the epoch) are revoked
    /// ("log out everywhere").
    pub user_not_before: Option<u64>,
}

/// The result of [`RevocationStore::consume`] (refresh-token rotation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consumption {
    /// The id had not been consumed: it is consumed now.
    First,
    /// The id had been consumed before.
    Reused {
        /// When it was first consumed (seconds since the epoch).
        first_used_at: u64,
        /// It is the most recently consumed id of its family (the immediately previous
        /// refresh token), which an overlap window may let through.
        latest: bool,
    },
}

/// A backend for revocations.
///
/// Ids are opaque strings (the manager prefixes them by kind: token id, pair id, family id);
/// they must be stored and compared verbatim. Times are seconds since the Unix epoch. An
/// entry must be kept at least until its `until` time and may be dropped after it; it must
/// never be dropped before (dropping it would un-revoke a token). Compute `until` with
/// [`keep_until`]: an `until` already past lets a store drop the entry at once (and a
/// consumption kept until a past time can be consumed "for the first time" again).
///
/// Errors mean "unknown", and the guard turns them into `503`: a store must never answer
/// "not revoked" when it does not know.
#[async_trait::async_trait]
pub trait RevocationStore: std::any::Any + fmt::Debug + Send + Sync + 'static {
    /// Revokes `id` until `until`.
    async fn revoke(&self, id: &str, until: u64) -> Result<(), StoreError>;

    /// Revokes every token of `identity` issued before `not_before`, keeping the record until
    /// `until` (when the longest-lived of those tokens has expired). A later `not_before`
    /// replaces an earlier one; an earlier one never replaces a later one.
    async fn revoke_user_before(
        &self,
        identity: &str,
        not_before: u64,
        until: u64,
    ) -> Result<(), StoreError>;

    /// Whether any of `ids` is revoked, and the identity's "not before" time, in one call
    /// (one round trip for a remote store).
    async fn check(&self, ids: &[&str], identity: Option<&str>) -> Result<Check, StoreError>;

    /// Atomically consumes the refresh token `id` of rotation family `family` at `now`,
    /// keeping the record until `until`. Exactly one of any number of concurrent calls with
    /// the same `id` gets [`Consumption::First`].
    async fn consume(
        &self,
        family: &str,
        id: &str,
        now: u64,
        until: u64,
    ) -> Result<Consumption, StoreError>;
}

/// A store failure. The request it happened in is refused with `503`.
#[derive(Debug)]
pub struct StoreError {
    kind: StoreErrorKind,
    message: Cow<'static, str>,
    source: Option<crate::error::BoxError>,
}

/// The kind of a [`StoreError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreErrorKind {
    /// The backend could not be reached, or did not answer in time.
    Unavailable,
    /// The store is full: the revocation was not recorded.
    Capacity,
    /// The backend answered something unexpected (a wrong type at a key, a bad value).
    Corrupt,
    /// The backend is configured in a way that could lose revocations (e.g. an eviction
    /// policy that evicts keys with a TTL).
    Misconfigured,
}

impl StoreError {
    /// A new error of `kind`.
    ///
    /// The message is logged (at WARN, with the refused request's other fields) and is the
    /// operator's clue to the failure: say what failed ("connection refused", "timed out
    /// after 250 ms"), and never put a token, a token id, an identity or a secret in it.
    ///
    /// ```
    /// use jwt_extended::store::{StoreError, StoreErrorKind};
    ///
    /// let err = StoreError::new(StoreErrorKind::Unavailable, "connection refused");
    /// assert_eq!(err.to_string(), "revocation store: connection refused");
    /// ```
    pub fn new(kind: StoreErrorKind, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// The backend could not be reached or timed out.
    pub fn unavailable(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StoreErrorKind::Unavailable, message)
    }

    /// Attaches the underlying cause.
    #[must_use]
    pub fn with_source(mut self, source: impl Into<crate::error::BoxError>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> StoreErrorKind {
        self.kind
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "revocation store: {}", self.message)
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// The latest time a store is asked to keep an entry until: 9999-12-31T23:59:59Z. Entries
/// for tokens that outlive it (or have no `exp`) are kept until then, which Redis `EXAT`
/// still accepts.
pub const MAX_UNTIL: u64 = 253_402_300_799;

/// How long a revocation must be kept for a token expiring at `exp`: `exp + leeway +
/// skew_margin`, computed without overflow, never earlier than `now + 1` (so never a TTL of
/// zero or less), and at most [`MAX_UNTIL`]. A token without `exp` is kept until
/// [`MAX_UNTIL`].
///
/// ```
/// use jwt_extended::store::{keep_until, MAX_UNTIL};
/// assert_eq!(keep_until(Some(1_000), 500, 10, 60), 1_070);
/// assert_eq!(keep_until(Some(1_000), 5_000, 10, 60), 5_001);
/// assert_eq!(keep_until(Some(u64::MAX), 5_000, 10, 60), MAX_UNTIL);
/// assert_eq!(keep_until(None, 5_000, 10, 60), MAX_UNTIL);
/// ```
pub fn keep_until(exp: Option<u64>, now: u64, leeway: u64, skew_margin: u64) -> u64 {
    let floor = now.saturating_add(1).min(MAX_UNTIL);
    match exp {
        Some(exp) => exp
            .saturating_add(leeway)
            .saturating_add(skew_margin)
            .clamp(floor, MAX_UNTIL),
        None => MAX_UNTIL,
    }
}
