//! The Redis revocation store.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{IntoConnectionInfo as _, RedisError, ServerError, Value};

use super::{Check, Consumption, MAX_UNTIL, RevocationStore, StoreError, StoreErrorKind};
use crate::duration::IntoDuration;

/// A revocation store in Redis, shared by every instance of the application and durable
/// across Redis restarts (with AOF).
///
/// Keys, under a prefix (`jwt-extended:` by default), all expire by themselves with
/// `EXAT` at the time the entry may be dropped:
///
/// | Key | Value | Written by |
/// |---|---|---|
/// | `<prefix>revoked:<id>` | `1` | [`revoke`](RevocationStore::revoke) |
/// | `<prefix>user:<identity>` | "not before" time | [`revoke_user_before`](RevocationStore::revoke_user_before) |
/// | `<prefix>used:<id>` | first-use time | [`consume`](RevocationStore::consume) |
/// | `<prefix>last:<family>` | latest consumed id | [`consume`](RevocationStore::consume) |
///
/// Ids and identities are sent as command arguments, byte for byte (any byte, spaces and
/// `\r\n` included), never spliced into command text. A write never shortens the life of
/// an existing key. [`check`](RevocationStore::check) is one round trip (a pipeline of
/// `GET`s; `MGET` would answer "nil" for a key of the wrong type), and every write is
/// one atomic Lua script.
///
/// # Failing closed
///
/// Every call has a hard [timeout](RedisStoreBuilder::timeout) (250 ms by default).
/// An unreachable or silent server gives [`StoreErrorKind::Unavailable`]; a key holding
/// something this store did not write (a list, a non-numeric value) gives
/// [`StoreErrorKind::Corrupt`], never "not revoked"; Redis out of memory gives
/// [`StoreErrorKind::Capacity`]. The connection is re-established in the background
/// (exponential backoff, 20 ms up to 500 ms) without rebuilding the store.
///
/// # Deployment
///
/// - **Primary only.** Point the URL at the primary. A replica lags behind, and reading
///   from one can answer "not revoked" for a token revoked a moment ago. `build` refuses a
///   server whose `ROLE` is a replica.
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
pub struct RedisStore {
    conn: ConnectionManager,
    prefix: Arc<[u8]>,
    timeout: Duration,
    wait: Option<WaitForReplicas>,
}

/// Builds a [`RedisStore`]; see [`RedisStore::builder`].
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
    url: String,
    prefix: Vec<u8>,
    timeout: Duration,
    connect_timeout: Duration,
    allow_eviction: bool,
    wait: Option<WaitForReplicas>,
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
        RedisStoreBuilder {
            url: url.into(),
            prefix: Self::DEFAULT_PREFIX.as_bytes().to_vec(),
            timeout: Self::DEFAULT_TIMEOUT,
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            allow_eviction: false,
            wait: None,
        }
    }

    fn key(&self, kind: &str, id: &str) -> Vec<u8> {
        let mut key = Vec::with_capacity(self.prefix.len() + kind.len() + id.len());
        key.extend_from_slice(&self.prefix);
        key.extend_from_slice(kind.as_bytes());
        key.extend_from_slice(id.as_bytes());
        key
    }

    /// Runs `call` under the store's timeout.
    async fn timed<T>(
        &self,
        call: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        match tokio::time::timeout(self.timeout, call).await {
            Ok(result) => result,
            Err(_) => Err(StoreError::unavailable(format!(
                "Redis did not answer within {} ms",
                self.timeout.as_millis()
            ))),
        }
    }

    /// Runs a Lua script (by digest, loading it on `NOSCRIPT`), followed on the same
    /// connection by `WAIT` when `wait` is set and replicas are required.
    async fn eval(
        &self,
        script: &Lua,
        keys: &[&[u8]],
        args: &[&[u8]],
        wait: bool,
    ) -> Result<Value, StoreError> {
        let wait = self.wait.filter(|_| wait);
        self.timed(async {
            let mut conn = self.conn.clone();
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
                let replies: Vec<Value> = pipe.query_async(&mut conn).await.map_err(from_redis)?;
                let mut replies = replies.into_iter();
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
        })
        .await
    }
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &String::from_utf8_lossy(&self.prefix))
            .field("timeout", &self.timeout)
            .field("wait", &self.wait)
            .finish_non_exhaustive()
    }
}

impl RedisStoreBuilder {
    /// Sets the prefix of every key (defaults to [`RedisStore::DEFAULT_PREFIX`]). Give
    /// every application sharing a Redis database its own prefix, and every instance of one
    /// application the same prefix.
    ///
    /// ```
    /// use jwt_extended::store::RedisStore;
    /// let builder = RedisStore::builder("redis://127.0.0.1/").key_prefix("billing:jwt:");
    /// # let _ = builder;
    /// ```
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into().into_bytes();
        self
    }

    /// Sets the hard limit on each call, connection and retries included (defaults to
    /// [`RedisStore::DEFAULT_TIMEOUT`]). A call that takes longer fails with
    /// [`StoreErrorKind::Unavailable`], and the request that made it gets a `503`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use jwt_extended::store::RedisStore;
    /// let builder = RedisStore::builder("redis://127.0.0.1/").timeout(Duration::from_millis(100));
    /// # let _ = builder;
    /// ```
    pub fn timeout(mut self, timeout: impl IntoDuration) -> Self {
        let timeout = timeout.into_std_duration();
        self.timeout = timeout;
        self
    }

    /// Sets how long [`build`](Self::build) may take to connect and inspect the server, and
    /// how long each later connection attempt may take (defaults to
    /// [`RedisStore::DEFAULT_CONNECT_TIMEOUT`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// use jwt_extended::store::RedisStore;
    /// let builder = RedisStore::builder("redis://127.0.0.1/").connect_timeout(Duration::from_secs(5));
    /// # let _ = builder;
    /// ```
    pub fn connect_timeout(mut self, timeout: impl IntoDuration) -> Self {
        let timeout = timeout.into_std_duration();
        self.connect_timeout = timeout;
        self
    }

    /// Builds the store even when the server's `maxmemory-policy` can evict keys, logging a
    /// warning instead of refusing. An evicted key is a revocation lost: use only where a
    /// resurrected token is acceptable.
    ///
    /// ```
    /// use jwt_extended::store::RedisStore;
    /// let builder = RedisStore::builder("redis://127.0.0.1/").allow_eviction_policy_dangerously(true);
    /// # let _ = builder;
    /// ```
    pub fn allow_eviction_policy_dangerously(mut self, allow: bool) -> Self {
        self.allow_eviction = allow;
        self
    }

    /// Makes [`revoke`](RevocationStore::revoke) and
    /// [`revoke_user_before`](RevocationStore::revoke_user_before) wait (`WAIT`) until
    /// `replicas` replicas have the write, for at most `timeout`, and fail with
    /// [`StoreErrorKind::Unavailable`] when they do not, so that a revocation reported done
    /// survives a failover. The write stays on the primary either way; retrying is safe.
    /// `timeout` must be shorter than the [call timeout](Self::timeout).
    ///
    /// [`consume`](RevocationStore::consume) does not wait: failing a consumption the
    /// primary has recorded would make the client's retry look like a reuse.
    ///
    /// ```
    /// use std::time::Duration;
    /// use jwt_extended::store::RedisStore;
    /// let builder = RedisStore::builder("redis://127.0.0.1/")
    ///     .timeout(Duration::from_millis(500))
    ///     .wait_for_replicas(1, Duration::from_millis(200));
    /// # let _ = builder;
    /// ```
    pub fn wait_for_replicas(mut self, replicas: u32, timeout: impl IntoDuration) -> Self {
        let timeout = timeout.into_std_duration();
        self.wait = (replicas > 0).then(|| WaitForReplicas {
            replicas,
            timeout_ms: u64::try_from(timeout.as_millis())
                .unwrap_or(u64::MAX)
                .max(1),
        });
        self
    }

    /// Connects, checks the server (its role and its eviction policy) and returns the
    /// store.
    ///
    /// # Errors
    ///
    /// - [`StoreErrorKind::Misconfigured`]: a bad URL or option; the server is a replica;
    ///   its `maxmemory-policy` evicts keys (unless allowed). When `CONFIG` or `ROLE` are
    ///   not permitted (managed services often disable them), a warning is logged and the
    ///   store is built: check the policy by hand then.
    /// - [`StoreErrorKind::Unavailable`]: the server could not be reached within the
    ///   [connect timeout](Self::connect_timeout).
    ///
    /// ```no_run
    /// use jwt_extended::store::RedisStore;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), jwt_extended::store::StoreError> {
    /// let store = RedisStore::builder("redis://127.0.0.1:6379/").build().await?;
    /// # let _ = store;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn build(self) -> Result<RedisStore, StoreError> {
        if self.timeout.is_zero() {
            return Err(misconfigured("the call timeout must not be zero"));
        }
        if let Some(wait) = self.wait
            && u128::from(wait.timeout_ms) >= self.timeout.as_millis()
        {
            return Err(misconfigured(
                "the replica wait must be shorter than the call timeout",
            ));
        }
        let info = self
            .url
            .as_str()
            .into_connection_info()
            .map_err(|_| misconfigured("invalid Redis URL"))?;
        let info = info.set_tcp_settings(tcp_settings());
        let client = redis::Client::open(info).map_err(|_| misconfigured("invalid Redis URL"))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.connect_timeout))
            .set_response_timeout(Some(self.timeout))
            .set_min_delay(Duration::from_millis(20))
            .set_max_delay(Duration::from_millis(500))
            .set_exponent_base(2.0)
            .set_number_of_retries(8);
        let connect_timeout = self.connect_timeout;
        let connect = async move {
            let mut conn = ConnectionManager::new_with_config(client, config)
                .await
                .map_err(from_redis)?;
            self.inspect_server(&mut conn).await?;
            Ok(RedisStore {
                conn,
                prefix: self.prefix.into(),
                timeout: self.timeout,
                wait: self.wait,
            })
        };
        match tokio::time::timeout(connect_timeout, connect).await {
            Ok(result) => result,
            Err(_) => Err(StoreError::unavailable(format!(
                "could not connect to Redis within {} ms",
                connect_timeout.as_millis()
            ))),
        }
    }

    async fn inspect_server(&self, conn: &mut ConnectionManager) -> Result<(), StoreError> {
        match redis::cmd("ROLE").query_async::<Value>(conn).await {
            Ok(Value::Array(role)) => {
                let role = role.first().and_then(text);
                if role.as_deref() != Some("master") {
                    return Err(misconfigured(format!(
                        "the Redis server is not a primary (ROLE is {:?}): reads from a \
                         replica can miss recent revocations",
                        role.as_deref().unwrap_or("unknown")
                    )));
                }
            }
            Ok(_) => tracing::warn!(
                "Redis ROLE gave an unexpected answer: check by hand that the server is a primary"
            ),
            Err(err) if is_refusal(&err) => tracing::warn!(
                error = %err,
                "could not check that the Redis server is a primary (ROLE refused): check by hand"
            ),
            Err(err) => return Err(from_redis(err)),
        }

        match config_get(conn, "maxmemory-policy").await {
            Ok(Some(policy)) if policy == "noeviction" => {}
            Ok(Some(policy)) if self.allow_eviction => tracing::warn!(
                policy = %policy,
                "Redis maxmemory-policy can evict keys: an evicted key un-revokes its token"
            ),
            Ok(Some(policy)) => {
                return Err(misconfigured(format!(
                    "Redis maxmemory-policy is {policy:?}: it can evict revocations (every key \
                     has a TTL, so volatile-* policies evict them too); set it to noeviction"
                )));
            }
            Ok(None) => {
                tracing::warn!("could not read Redis maxmemory-policy: make sure it is noeviction")
            }
            Err(err) if is_refusal(&err) => tracing::warn!(
                error = %err,
                "could not read Redis maxmemory-policy (CONFIG refused): make sure it is noeviction"
            ),
            Err(err) => return Err(from_redis(err)),
        }

        match config_get(conn, "appendonly").await {
            Ok(Some(aof)) if aof == "no" => tracing::warn!(
                "Redis appendonly is off: revocations made since the last snapshot are lost \
                 if Redis restarts"
            ),
            Ok(_) => {}
            Err(err) if is_refusal(&err) => {}
            Err(err) => return Err(from_redis(err)),
        }
        Ok(())
    }
}

impl fmt::Debug for RedisStoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStoreBuilder")
            .field("url", &redact_url(&self.url))
            .field("prefix", &String::from_utf8_lossy(&self.prefix))
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("allow_eviction", &self.allow_eviction)
            .field("wait", &self.wait)
            .finish()
    }
}

#[async_trait::async_trait]
impl RevocationStore for RedisStore {
    async fn revoke(&self, id: &str, until: u64) -> Result<(), StoreError> {
        let key = self.key("revoked:", id);
        let until = expire_at(until);
        let reply = self
            .eval(&REVOKE, &[&key], &[until.as_bytes()], true)
            .await?;
        written(reply, "a revoked id")
    }

    async fn revoke_user_before(
        &self,
        identity: &str,
        not_before: u64,
        until: u64,
    ) -> Result<(), StoreError> {
        let key = self.key("user:", identity);
        let not_before = not_before.to_string();
        let until = expire_at(until);
        let reply = self
            .eval(
                &REVOKE_USER,
                &[&key],
                &[not_before.as_bytes(), until.as_bytes()],
                true,
            )
            .await?;
        written(reply, "a user's not-before time")
    }

    async fn check(&self, ids: &[&str], identity: Option<&str>) -> Result<Check, StoreError> {
        if ids.is_empty() && identity.is_none() {
            return Ok(Check::default());
        }
        let mut pipe = redis::pipe();
        for id in ids {
            pipe.cmd("GET").arg(self.key("revoked:", id));
        }
        if let Some(identity) = identity {
            pipe.cmd("GET").arg(self.key("user:", identity));
        }
        pipe.ignore_errors();
        let replies: Vec<Value> = self
            .timed(async {
                let mut conn = self.conn.clone();
                pipe.query_async(&mut conn).await.map_err(from_redis)
            })
            .await?;
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
        let until = expire_at(until);
        let reply = self
            .eval(
                &CONSUME,
                &[&used, &last],
                &[now.as_bytes(), until.as_bytes(), id.as_bytes()],
                false,
            )
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

/// A Lua script and its SHA-1 digest.
struct Lua {
    source: &'static str,
    digest: String,
}

impl Lua {
    fn new(body: &'static str) -> Self {
        Self {
            source: body,
            digest: redis::Script::new(body).get_hash().to_owned(),
        }
    }
}

/// Lua helpers shared by the scripts (`extend` never shortens a key's life).
macro_rules! lua_prelude {
    () => {
        r#"
local function extend(key, at)
  local pttl = redis.call('PTTL', key)
  if pttl < 0 then return end
  local t = redis.call('TIME')
  local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  if now_ms + pttl < tonumber(at) * 1000 then
    redis.call('EXPIREAT', key, at)
  end
end
local function is_u64(s)
  return #s <= 20 and (s == '0' or string.match(s, '^[1-9]%d*$') ~= nil)
end
local function greater(a, b)
  return #a > #b or (#a == #b and a > b)
end
"#
    };
}

/// KEYS[1] revoked key; ARGV[1] until. 1 = done, 0 = the key holds something else.
static REVOKE: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(concat!(
        lua_prelude!(),
        r#"
local cur = redis.call('GET', KEYS[1])
if not cur then
  redis.call('SET', KEYS[1], '1', 'EXAT', ARGV[1])
  return 1
end
if cur ~= '1' then return 0 end
extend(KEYS[1], ARGV[1])
return 1
"#
    ))
});

/// KEYS[1] user key; ARGV[1] not_before, ARGV[2] until. The later not-before time and
/// the later expiry win. 1 = done, 0 = the key holds something else.
static REVOKE_USER: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(concat!(
        lua_prelude!(),
        r#"
local cur = redis.call('GET', KEYS[1])
if not cur then
  redis.call('SET', KEYS[1], ARGV[1], 'EXAT', ARGV[2])
  return 1
end
if not is_u64(cur) then return 0 end
if greater(ARGV[1], cur) then
  redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL')
end
extend(KEYS[1], ARGV[2])
return 1
"#
    ))
});

/// KEYS[1] used key, KEYS[2] family's last key; ARGV[1] now, ARGV[2] until, ARGV[3] id.
/// {1} = first use; {0, first_used_at, latest} = reuse.
static CONSUME: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(
        r#"
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EXAT', ARGV[2]) then
  redis.call('SET', KEYS[2], ARGV[3], 'EXAT', ARGV[2])
  return {1}
end
local first = redis.call('GET', KEYS[1])
local last = redis.call('GET', KEYS[2])
if last == ARGV[3] then return {0, first, 1} end
return {0, first, 0}
"#,
    )
});

/// `until` as an `EXAT` argument: at least 1 (Redis refuses 0) and at most [`MAX_UNTIL`].
fn expire_at(until: u64) -> String {
    until.clamp(1, MAX_UNTIL).to_string()
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
    conn: &mut ConnectionManager,
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

fn text(value: &Value) -> Option<String> {
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

fn parse_u64(bytes: &[u8], what: &str) -> Result<u64, StoreError> {
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
    let kind = kind_of_code(err.code());
    StoreError::new(kind, describe(kind)).with_source(RedisError::from(err))
}

fn from_redis(err: RedisError) -> StoreError {
    let kind = match err.code() {
        Some(code) => kind_of_code(code),
        None if err.kind() == redis::ErrorKind::UnexpectedReturnType => StoreErrorKind::Corrupt,
        None => StoreErrorKind::Unavailable,
    };
    StoreError::new(kind, describe(kind)).with_source(err)
}

fn describe(kind: StoreErrorKind) -> &'static str {
    match kind {
        StoreErrorKind::Corrupt => "a Redis key holds a value of the wrong type",
        StoreErrorKind::Capacity => "Redis is out of memory: the write was refused",
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
    fn expiry_is_clamped() {
        assert_eq!(expire_at(0), "1");
        assert_eq!(expire_at(u64::MAX), MAX_UNTIL.to_string());
        assert_eq!(expire_at(1_800_000_000), "1800000000");
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
