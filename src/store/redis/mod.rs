//! The Redis revocation store.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::sentinel::{SentinelClient, SentinelNodeConnectionInfo, SentinelServerType};
use redis::{IntoConnectionInfo as _, ProtocolVersion, RedisError, ServerError, Value};

use self::link::{Link, Target};
use self::scripts::{CONSUME, Lua, REVOKE, REVOKE_USER};
use self::view::LocalView;
use super::{Check, Consumption, MAX_UNTIL, RevocationStore, StoreError, StoreErrorKind};
use crate::duration::IntoDuration;
use crate::{clock::Clock, clock::SystemClock};

mod builder;
mod link;
mod scripts;
mod view;

/// A revocation store in Redis, shared by every instance of the application and durable
/// across Redis restarts (with AOF).
///
/// Keys, under a prefix (`jwt-extended:` by default), all expire by themselves:
///
/// | Key | Value | Written by |
/// |---|---|---|
/// | `<prefix>revoked:<id>` | `1` | [`revoke`](RevocationStore::revoke) |
/// | `<prefix>user:<identity>` | "not before" time | [`revoke_user_before`](RevocationStore::revoke_user_before) |
/// | `<prefix>used:<id>` | first-use time | [`consume`](RevocationStore::consume) |
/// | `<prefix>last:<family>` | latest consumed id | [`consume`](RevocationStore::consume) |
///
/// Every revocation is also published on the channel `<prefix>events`, for the
/// [local views](RedisStoreBuilder::local_cache) of other instances.
///
/// Ids and identities are sent as command arguments, byte for byte (any byte, spaces and
/// `\r\n` included), never spliced into command text. A write never shortens the life of
/// an existing key. [`check`](RevocationStore::check) is one round trip (a pipeline of
/// `GET`s; `MGET` would answer "nil" for a key of the wrong type), or none with a fresh
/// local view, and every write is one atomic Lua script.
///
/// # Clocks
///
/// Redis is told how long to keep an entry (`PX`, milliseconds from now), never until
/// when: the keep-until time the manager computes is turned into a duration with the
/// store's [clock](RedisStoreBuilder::clock), and Redis counts it down with its own clock,
/// so a Redis server whose clock is ahead of or behind the application's keeps every
/// revocation exactly as long as it must.
///
/// # Failing closed
///
/// Every call has a hard [timeout](RedisStoreBuilder::timeout) (250 ms by default).
/// An unreachable or silent server gives [`StoreErrorKind::Unavailable`]; a key holding
/// something this store did not write (a list, a non-numeric value) gives
/// [`StoreErrorKind::Corrupt`], never "not revoked"; Redis out of memory gives
/// [`StoreErrorKind::Capacity`].
///
/// # Reconnecting
///
/// The store keeps one multiplexed RESP3 connection. When it drops (Redis restarted or
/// failed over), the store notices at once, without waiting for a request to find it
/// dead, and reconnects in the background (20 ms, doubling up to 500 ms, until it
/// succeeds), so the first request after Redis is back finds a live connection. A call
/// that meets a dead connection anyway is retried once on a new one when that is safe:
/// checks and revocations (idempotent), never [`consume`](RevocationStore::consume),
/// which may have run. Every new connection is checked to be to a primary.
///
/// # Deployment
///
/// - **Redis 6 or later** (RESP3).
/// - **Primary only.** Point the URL at the primary, or [follow it through
///   Sentinel](RedisStore::sentinel_builder). A replica lags behind, and reading from one
///   can answer "not revoked" for a token revoked a moment ago: `build` refuses a server
///   whose `ROLE` is a replica, and a reconnection to a demoted primary fails.
/// - **No eviction.** `maxmemory-policy` must be `noeviction`: every key here has a TTL,
///   so the `volatile-*` policies evict them as readily as the `allkeys-*` ones, and an
///   evicted key un-revokes its token. `build` refuses any other policy unless told
///   [`allow_eviction_policy_dangerously`](RedisStoreBuilder::allow_eviction_policy_dangerously).
/// - **Durability.** With `appendonly yes` and `appendfsync always`, a revocation that
///   returned `Ok` survives a Redis restart; with `appendfsync everysec` the last second of
///   revocations can be lost in a crash; without AOF, everything since the last snapshot.
///   `build` warns when AOF is off. Across a failover, ask for
///   [`wait_for_replicas`](RedisStoreBuilder::wait_for_replicas).
/// - **Single node.** Redis Cluster is not supported (a consumption touches two keys).
///
/// # Example
///
/// ```no_run
/// use std::time::Duration;
/// use jwt_extended::store::{RedisStore, RevocationStore};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let store = RedisStore::builder("redis://127.0.0.1:6379/")
///     .key_prefix("myapp:jwt:")
///     .timeout(Duration::from_millis(250))
///     .build()
///     .await?;
///
/// store.revoke("jti:0b6f3e0c-5b1e-4c55-9d8a-2f9f4c1b7e21", 4_102_444_800).await?;
/// assert!(store.check(&["jti:0b6f3e0c-5b1e-4c55-9d8a-2f9f4c1b7e21"], None).await?.revoked);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct RedisStore(Arc<Shared>);

struct Shared {
    link: Link,
    prefix: Arc<[u8]>,
    channel: Vec<u8>,
    timeout: Duration,
    wait: Option<WaitForReplicas>,
    clock: Arc<dyn Clock>,
    view: Option<Arc<LocalView>>,
}

/// Builds a [`RedisStore`]; see [`RedisStore::builder`] and [`RedisStore::sentinel_builder`].
///
/// ```
/// use std::time::Duration;
/// use jwt_extended::store::RedisStore;
///
/// let builder = RedisStore::builder("redis://127.0.0.1:6379/")
///     .key_prefix("myapp:jwt:")
///     .timeout(Duration::from_millis(100))
///     .connect_timeout(Duration::from_secs(5));
/// # let _ = builder;
/// ```
#[derive(Clone)]
#[must_use = "a builder does nothing until `.build().await`"]
pub struct RedisStoreBuilder {
    target: TargetSpec,
    prefix: Vec<u8>,
    timeout: Duration,
    connect_timeout: Duration,
    allow_eviction: bool,
    wait: Option<WaitForReplicas>,
    clock: Arc<dyn Clock>,
    local_cache: Option<Duration>,
    local_cache_capacity: usize,
}

#[derive(Clone)]
enum TargetSpec {
    Url(String),
    Sentinel {
        sentinels: Vec<String>,
        master: String,
    },
}

#[derive(Debug, Clone, Copy)]
struct WaitForReplicas {
    replicas: u32,
    timeout_ms: u64,
}

impl RedisStore {
    /// The default key prefix: `jwt-extended:`.
    ///
    /// ```
    /// assert_eq!(jwt_extended::store::RedisStore::DEFAULT_PREFIX, "jwt-extended:");
    /// ```
    pub const DEFAULT_PREFIX: &'static str = "jwt-extended:";

    /// The default per-call timeout: 250 ms.
    ///
    /// ```
    /// use std::time::Duration;
    /// assert_eq!(jwt_extended::store::RedisStore::DEFAULT_TIMEOUT, Duration::from_millis(250));
    /// ```
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(250);

    /// The default time `build` may take to connect and inspect the server: 2 s.
    ///
    /// ```
    /// use std::time::Duration;
    /// assert_eq!(jwt_extended::store::RedisStore::DEFAULT_CONNECT_TIMEOUT, Duration::from_secs(2));
    /// ```
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

    /// The default number of entries a [local view](RedisStoreBuilder::local_cache) holds:
    /// one million (about 70 MB of uuid-shaped ids).
    ///
    /// ```
    /// assert_eq!(jwt_extended::store::RedisStore::DEFAULT_LOCAL_CACHE_CAPACITY, 1_000_000);
    /// ```
    pub const DEFAULT_LOCAL_CACHE_CAPACITY: usize = 1_000_000;

    /// A builder for a store at `url` (`redis://[user:password@]host[:port][/db]`,
    /// `rediss://` for TLS when the `redis` crate is built with TLS support, or
    /// `redis+unix:///path`).
    ///
    /// ```
    /// use jwt_extended::store::RedisStore;
    /// let builder = RedisStore::builder("redis://127.0.0.1:6379/0");
    /// # let _ = builder;
    /// ```
    pub fn builder(url: impl Into<String>) -> RedisStoreBuilder {
        RedisStoreBuilder::new(TargetSpec::Url(url.into()))
    }

    /// A builder for a store on the primary that the Redis Sentinels at `sentinels`
    /// (`host:port` or `redis://host:port/`) name for `master`. The store connects to that
    /// primary, asks the Sentinels every 500 ms whether it still is the primary, and
    /// switches to the new one after a failover (within about a second of the Sentinels
    /// announcing it). Combine with
    /// [`wait_for_replicas`](RedisStoreBuilder::wait_for_replicas) so that an acknowledged
    /// revocation is on a replica before the primary can fail.
    ///
    /// ```
    /// use std::time::Duration;
    /// use jwt_extended::store::RedisStore;
    /// let builder = RedisStore::sentinel_builder(
    ///     ["10.0.0.1:26379", "10.0.0.2:26379", "10.0.0.3:26379"],
    ///     "mymaster",
    /// )
    /// .timeout(Duration::from_millis(500))
    /// .wait_for_replicas(1, Duration::from_millis(200));
    /// # let _ = builder;
    /// ```
    pub fn sentinel_builder(
        sentinels: impl IntoIterator<Item = impl Into<String>>,
        master: impl Into<String>,
    ) -> RedisStoreBuilder {
        RedisStoreBuilder::new(TargetSpec::Sentinel {
            sentinels: sentinels.into_iter().map(Into::into).collect(),
            master: master.into(),
        })
    }

    /// Whether checks are answered from the [local view](RedisStoreBuilder::local_cache)
    /// right now: it is loaded and has heard from Redis within its staleness bound. Always
    /// `false` without a local view.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use jwt_extended::store::RedisStore;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), jwt_extended::store::StoreError> {
    /// let store = RedisStore::builder("redis://127.0.0.1:6379/")
    ///     .local_cache(Duration::from_millis(50))
    ///     .build()
    ///     .await?;
    /// println!("local view in use: {}", store.local_view_is_fresh());
    /// # Ok(())
    /// # }
    /// ```
    pub fn local_view_is_fresh(&self) -> bool {
        self.0.view.as_ref().is_some_and(|view| view.is_fresh())
    }

    /// The number of entries in the [local view](RedisStoreBuilder::local_cache) (revoked
    /// ids and users, expired ones not yet swept included); 0 without one.
    ///
    /// ```no_run
    /// # async fn f(store: jwt_extended::store::RedisStore) {
    /// println!("{} revocations mirrored", store.local_view_len());
    /// # }
    /// ```
    pub fn local_view_len(&self) -> usize {
        self.0.view.as_ref().map_or(0, |view| view.len())
    }

    fn key(&self, kind: &str, id: &str) -> Vec<u8> {
        let prefix = &self.0.prefix;
        let mut key = Vec::with_capacity(prefix.len() + kind.len() + id.len());
        key.extend_from_slice(prefix);
        key.extend_from_slice(kind.as_bytes());
        key.extend_from_slice(id.as_bytes());
        key
    }

    /// How many milliseconds from now an entry kept until `until` (seconds, by the store's
    /// clock) must live: at least one second.
    fn ttl_ms(&self, until: u64) -> String {
        let now_ms = u64::try_from(self.0.clock.now().as_millis()).unwrap_or(u64::MAX);
        until
            .min(MAX_UNTIL)
            .saturating_mul(1000)
            .saturating_sub(now_ms)
            .max(1000)
            .to_string()
    }

    /// Runs `call` under the store's timeout.
    async fn timed<T>(
        &self,
        call: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        match tokio::time::timeout(self.0.timeout, call).await {
            Ok(result) => result,
            Err(_) => Err(StoreError::unavailable(format!(
                "Redis did not answer within {} ms",
                self.0.timeout.as_millis()
            ))),
        }
    }

    /// Runs `pipe` on the link, under the timeout. When the connection turns out dead (or
    /// to a server that is no longer the primary), the link replaces it, and an
    /// `idempotent` pipeline is sent once more on the new connection.
    async fn query(
        &self,
        pipe: &redis::Pipeline,
        idempotent: bool,
    ) -> Result<Vec<Value>, StoreError> {
        self.timed(async {
            let mut retried = false;
            loop {
                let mut conn = self.0.link.get().await?;
                let result: Result<Vec<Value>, RedisError> = pipe.query_async(&mut conn.conn).await;
                let broken = match &result {
                    Err(err) => is_broken(err),
                    Ok(replies) => replies
                        .iter()
                        .any(|r| matches!(r, Value::ServerError(e) if e.code() == "READONLY")),
                };
                if broken {
                    self.0.link.lost(conn.generation);
                    if idempotent && !retried {
                        retried = true;
                        continue;
                    }
                }
                return result.map_err(from_redis);
            }
        })
        .await
    }

    /// Runs a Lua script (by digest, loading it on `NOSCRIPT`), followed on the same
    /// connection by `WAIT` when `wait` is set and replicas are required.
    async fn eval(
        &self,
        script: &Lua,
        keys: &[&[u8]],
        args: &[&[u8]],
        wait: bool,
        idempotent: bool,
    ) -> Result<Value, StoreError> {
        let wait = self.0.wait.filter(|_| wait);
        let mut by_digest = true;
        loop {
            let mut pipe = redis::pipe();
            let eval = if by_digest {
                pipe.cmd("EVALSHA").arg(&script.digest)
            } else {
                pipe.cmd("EVAL").arg(script.source)
            };
            eval.arg(keys.len()).arg(keys).arg(args);
            if let Some(wait) = wait {
                pipe.cmd("WAIT").arg(wait.replicas).arg(wait.timeout_ms);
            }
            pipe.ignore_errors();
            let mut replies = self.query(&pipe, idempotent).await?.into_iter();
            let reply = replies.next().unwrap_or(Value::Nil);
            if let Value::ServerError(err) = &reply
                && by_digest
                && err.code() == "NOSCRIPT"
            {
                by_digest = false;
                continue;
            }
            let reply = server_error(reply)?;
            if let Some(wait) = wait {
                match server_error(replies.next().unwrap_or(Value::Nil))? {
                    Value::Int(acked) if acked >= i64::from(wait.replicas) => {}
                    _ => {
                        return Err(StoreError::unavailable(format!(
                            "the write was not acknowledged by {} replica(s) within {} ms",
                            wait.replicas, wait.timeout_ms
                        )));
                    }
                }
            }
            return Ok(reply);
        }
    }

    /// The strict check: one round trip to Redis.
    async fn check_in_redis(
        &self,
        ids: &[&str],
        identity: Option<&str>,
    ) -> Result<Check, StoreError> {
        let mut pipe = redis::pipe();
        for id in ids {
            pipe.cmd("GET").arg(self.key("revoked:", id));
        }
        if let Some(identity) = identity {
            pipe.cmd("GET").arg(self.key("user:", identity));
        }
        pipe.ignore_errors();
        let replies = self.query(&pipe, true).await?;
        if replies.len() != ids.len() + usize::from(identity.is_some()) {
            return Err(corrupt(
                "Redis answered a pipeline with the wrong number of replies",
            ));
        }
        let mut replies = replies.into_iter();
        let mut check = Check::default();
        for reply in replies.by_ref().take(ids.len()) {
            match server_error(reply)? {
                Value::Nil => {}
                Value::BulkString(v) if v == b"1" => check.revoked = true,
                _ => return Err(corrupt("unexpected value at a revoked id")),
            }
        }
        if let Some(reply) = replies.next() {
            check.user_not_before = match server_error(reply)? {
                Value::Nil => None,
                Value::BulkString(v) => Some(parse_u64(&v, "a user's not-before time")?),
                _ => return Err(corrupt("unexpected value at a user's not-before time")),
            };
        }
        Ok(check)
    }
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &String::from_utf8_lossy(&self.0.prefix))
            .field("timeout", &self.0.timeout)
            .field("wait", &self.0.wait)
            .field("local_view", &self.0.view)
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl RevocationStore for RedisStore {
    async fn revoke(&self, id: &str, until: u64) -> Result<(), StoreError> {
        let key = self.key("revoked:", id);
        let ttl = self.ttl_ms(until);
        let args: [&[u8]; 3] = [ttl.as_bytes(), &self.0.channel, id.as_bytes()];
        let reply = self.eval(&REVOKE, &[&key], &args, true, true).await?;
        written(reply, "a revoked id")?;
        if let Some(view) = &self.0.view {
            view.revoked_here(id, until);
        }
        Ok(())
    }

    async fn revoke_user_before(
        &self,
        identity: &str,
        not_before: u64,
        until: u64,
    ) -> Result<(), StoreError> {
        let key = self.key("user:", identity);
        let nb = not_before.to_string();
        let ttl = self.ttl_ms(until);
        let args: [&[u8]; 4] = [
            nb.as_bytes(),
            ttl.as_bytes(),
            &self.0.channel,
            identity.as_bytes(),
        ];
        let reply = self.eval(&REVOKE_USER, &[&key], &args, true, true).await?;
        written(reply, "a user's not-before time")?;
        if let Some(view) = &self.0.view {
            view.user_revoked_here(identity, not_before, until);
        }
        Ok(())
    }

    async fn check(&self, ids: &[&str], identity: Option<&str>) -> Result<Check, StoreError> {
        if ids.is_empty() && identity.is_none() {
            return Ok(Check::default());
        }
        if let Some(view) = &self.0.view
            && let Some(check) = view.check(ids, identity)
        {
            return Ok(check);
        }
        // (boxed: the strict path's future is large, and the view's answer should not pay
        // for moving it)
        Box::pin(self.check_in_redis(ids, identity)).await
    }

    async fn consume(
        &self,
        family: &str,
        id: &str,
        now: u64,
        until: u64,
    ) -> Result<Consumption, StoreError> {
        let used = self.key("used:", id);
        let last = self.key("last:", family);
        let now = now.to_string();
        let ttl = self.ttl_ms(until);
        let args: [&[u8]; 3] = [now.as_bytes(), ttl.as_bytes(), id.as_bytes()];
        // Not idempotent: a consumption that may have run is never sent again.
        let reply = self
            .eval(&CONSUME, &[&used, &last], &args, false, false)
            .await?;
        let Value::Array(reply) = reply else {
            return Err(corrupt("unexpected answer from the consume script"));
        };
        match reply.as_slice() {
            [Value::Int(1)] => Ok(Consumption::First),
            [Value::Int(0), Value::BulkString(first), Value::Int(latest)] => {
                Ok(Consumption::Reused {
                    first_used_at: parse_u64(first, "a consumed refresh token")?,
                    latest: *latest == 1,
                })
            }
            _ => Err(corrupt("unexpected value at a consumed refresh token")),
        }
    }
}

/// The connection is gone (or never was): the link must replace it.
fn is_broken(err: &RedisError) -> bool {
    !err.is_timeout()
        && (err.is_unrecoverable_error()
            || err.is_connection_dropped()
            || err.is_io_error()
            || err.code() == Some("READONLY"))
}

fn tcp_settings() -> redis::io::tcp::TcpSettings {
    use redis::io::tcp::{TcpSettings, socket2::TcpKeepalive};
    let settings = TcpSettings::default()
        .set_nodelay(true)
        .set_keepalive(TcpKeepalive::new().with_time(Duration::from_secs(15)));
    // Unacknowledged data for this long (a dead peer, a dropped route) closes the
    // connection, which makes the manager reconnect; a slow server does not trigger it.
    #[cfg(target_os = "linux")]
    let settings = settings.set_user_timeout(Duration::from_secs(10));
    settings
}

async fn config_get(
    conn: &mut MultiplexedConnection,
    name: &str,
) -> Result<Option<String>, RedisError> {
    let reply: Value = redis::cmd("CONFIG")
        .arg("GET")
        .arg(name)
        .query_async(conn)
        .await?;
    let pairs: Vec<(String, String)> = match reply {
        Value::Array(items) => items
            .chunks(2)
            .filter_map(|pair| Some((text(pair.first()?)?, text(pair.get(1)?)?)))
            .collect(),
        Value::Map(items) => items
            .iter()
            .filter_map(|(k, v)| Some((text(k)?, text(v)?)))
            .collect(),
        _ => Vec::new(),
    };
    Ok(pairs
        .into_iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v))
}

pub(super) fn text(value: &Value) -> Option<String> {
    match value {
        Value::BulkString(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Value::SimpleString(s) => Some(s.clone()),
        Value::VerbatimString { text, .. } => Some(text.clone()),
        _ => None,
    }
}

/// The server refused a command (disabled, renamed, not permitted), as opposed to the
/// connection failing.
fn is_refusal(err: &RedisError) -> bool {
    err.code().is_some() && !err.is_io_error()
}

fn written(reply: Value, what: &str) -> Result<(), StoreError> {
    match reply {
        Value::Int(1) => Ok(()),
        _ => Err(corrupt(format!("unexpected value at {what}"))),
    }
}

pub(super) fn parse_u64(bytes: &[u8], what: &str) -> Result<u64, StoreError> {
    std::str::from_utf8(bytes)
        .ok()
        .filter(|s| !s.starts_with('+'))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| corrupt(format!("a non-integer value at {what}")))
}

/// Turns a server error reply into an error; passes any other reply through.
fn server_error(reply: Value) -> Result<Value, StoreError> {
    match reply {
        Value::ServerError(err) => Err(from_server(err)),
        other => Ok(other),
    }
}

fn kind_of_code(code: &str) -> StoreErrorKind {
    match code {
        "WRONGTYPE" => StoreErrorKind::Corrupt,
        "OOM" => StoreErrorKind::Capacity,
        _ => StoreErrorKind::Unavailable,
    }
}

fn from_server(err: ServerError) -> StoreError {
    from_redis(RedisError::from(err))
}

pub(super) fn from_redis(err: RedisError) -> StoreError {
    let kind = match err.code() {
        Some(code) => kind_of_code(code),
        None if err.kind() == redis::ErrorKind::UnexpectedReturnType => StoreErrorKind::Corrupt,
        None => StoreErrorKind::Unavailable,
    };
    StoreError::new(kind, describe(kind, &err)).with_source(err)
}

/// A fixed text per failure (the store's messages are logged; the server's own text, which
/// can quote a script's arguments, stays in the source).
fn describe(kind: StoreErrorKind, err: &RedisError) -> &'static str {
    match kind {
        StoreErrorKind::Corrupt => "a Redis key holds a value of the wrong type",
        StoreErrorKind::Capacity => "Redis is out of memory: the write was refused",
        _ if err.is_timeout() => "Redis did not answer in time",
        _ if err.is_connection_refusal() => "Redis refused the connection",
        _ if err.is_connection_dropped() => "the connection to Redis was lost",
        _ => "Redis is unavailable",
    }
}

fn corrupt(message: impl Into<Cow<'static, str>>) -> StoreError {
    StoreError::new(StoreErrorKind::Corrupt, message)
}

fn misconfigured(message: impl Into<Cow<'static, str>>) -> StoreError {
    StoreError::new(StoreErrorKind::Misconfigured, message)
}

/// The URL without its password, for `Debug`.
fn redact_url(url: &str) -> Cow<'_, str> {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return Cow::Borrowed(url);
    };
    let authority_end = url[scheme_end..]
        .find('/')
        .map_or(url.len(), |i| scheme_end + i);
    match url[scheme_end..authority_end].rfind('@') {
        Some(at) => Cow::Owned(format!(
            "{}[redacted]{}",
            &url[..scheme_end],
            &url[scheme_end + at..]
        )),
        None => Cow::Borrowed(url),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_redacted() {
        assert_eq!(
            redact_url("redis://127.0.0.1:6379/0"),
            "redis://127.0.0.1:6379/0"
        );
        assert_eq!(
            redact_url("redis://user:secret@host:6379/0"),
            "redis://[redacted]@host:6379/0"
        );
        assert_eq!(
            redact_url("redis://:p@ss@host/"),
            "redis://[redacted]@host/"
        );
        assert_eq!(redact_url("not a url"), "not a url");
    }

    #[test]
    fn integers_are_strict() {
        assert_eq!(parse_u64(b"1800000000", "x").unwrap(), 1_800_000_000);
        for bad in [
            &b""[..],
            b"+1",
            b"-1",
            b"1.5",
            b" 1",
            b"abc",
            b"18446744073709551616",
        ] {
            assert_eq!(
                parse_u64(bad, "x").unwrap_err().kind(),
                StoreErrorKind::Corrupt
            );
        }
    }

    #[test]
    fn error_codes_are_classified() {
        assert_eq!(kind_of_code("WRONGTYPE"), StoreErrorKind::Corrupt);
        assert_eq!(kind_of_code("OOM"), StoreErrorKind::Capacity);
        assert_eq!(kind_of_code("LOADING"), StoreErrorKind::Unavailable);
        assert_eq!(kind_of_code("READONLY"), StoreErrorKind::Unavailable);
    }
}
