//! [`RedisStoreBuilder`]: the settings of a [`RedisStore`] and its start (connection,
//! server checks, the local view).

use super::*;

impl RedisStoreBuilder {
    pub(super) fn new(target: TargetSpec) -> Self {
        Self {
            target,
            prefix: RedisStore::DEFAULT_PREFIX.as_bytes().to_vec(),
            timeout: RedisStore::DEFAULT_TIMEOUT,
            connect_timeout: RedisStore::DEFAULT_CONNECT_TIMEOUT,
            allow_eviction: false,
            wait: None,
            clock: Arc::new(SystemClock),
            local_cache: None,
            local_cache_capacity: RedisStore::DEFAULT_LOCAL_CACHE_CAPACITY,
        }
    }

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

    /// Sets the clock the keep-until times the store is given are counted against
    /// (defaults to [`SystemClock`]): an entry kept until `until` is sent to Redis as
    /// "keep for `until` − now". Give it the same clock as the
    /// [`JwtManager`](crate::JwtManager).
    ///
    /// ```
    /// use jwt_extended::clock::SystemClock;
    /// use jwt_extended::store::RedisStore;
    /// let builder = RedisStore::builder("redis://127.0.0.1/").clock(SystemClock);
    /// # let _ = builder;
    /// ```
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
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

    /// Keeps a local view of every revocation in this process, which Redis keeps current,
    /// and answers [`check`](RevocationStore::check) from it: no round trip per request.
    ///
    /// **The trade is `max_staleness`.** The view subscribes to the store's event channel
    /// (every revocation script publishes what it wrote, atomically with the write), loads
    /// what Redis holds, and then pings Redis on the same connection four times per
    /// `max_staleness`. A reply proves that every revocation Redis acknowledged before the
    /// ping has arrived. When no reply has come for longer than `max_staleness` (Redis
    /// frozen, down, unreachable), the view is no longer trusted and every check goes to
    /// Redis, failing with `503` while Redis does not answer; when the connection drops, the
    /// view is rebuilt (resubscribed and reloaded) as soon as Redis is back. So a token
    /// revoked on another instance may be accepted here for at most `max_staleness`
    /// (in practice the propagation time: p99 under 7 ms on loopback), never longer. A
    /// revocation made through this store is in its own view at once.
    ///
    /// The view holds the revoked ids (single tokens, pairs, rotation families) and the
    /// per-identity "not before" times, each until it expires, in a
    /// [`MemoryStore`](crate::store::MemoryStore) (about 70 bytes per revoked token). It
    /// holds at most [`local_cache_capacity`](Self::local_cache_capacity) entries; when
    /// more are live in Redis, the view is not trusted and checks go to Redis.
    ///
    /// Refresh-token consumption ([`consume`](RevocationStore::consume)) always goes to
    /// Redis: it must be atomic across instances.
    ///
    /// Pub/sub rather than Redis's client-side caching: a tracking cache only remembers
    /// keys it has read, so every first-seen token would still cost a round trip, and its
    /// invalidations and replies arrive on different paths in the client, which makes a
    /// stale "not revoked" hard to rule out. Revocations only ever add or extend entries,
    /// so a full mirror fed by events and a load can apply them in any order.
    ///
    /// ```
    /// use std::time::Duration;
    /// use jwt_extended::store::RedisStore;
    /// let builder = RedisStore::builder("redis://127.0.0.1/")
    ///     .local_cache(Duration::from_millis(50));
    /// # let _ = builder;
    /// ```
    pub fn local_cache(mut self, max_staleness: Duration) -> Self {
        self.local_cache = Some(max_staleness);
        self
    }

    /// Sets the largest number of entries the [local view](Self::local_cache) holds
    /// (defaults to [`RedisStore::DEFAULT_LOCAL_CACHE_CAPACITY`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// use jwt_extended::store::RedisStore;
    /// let builder = RedisStore::builder("redis://127.0.0.1/")
    ///     .local_cache(Duration::from_millis(50))
    ///     .local_cache_capacity(100_000);
    /// # let _ = builder;
    /// ```
    pub fn local_cache_capacity(mut self, max_entries: usize) -> Self {
        self.local_cache_capacity = max_entries;
        self
    }

    /// Connects, checks the server (its role and its eviction policy) and returns the
    /// store. With a [local view](Self::local_cache), waits (within the
    /// [connect timeout](Self::connect_timeout)) for its first load; until it is loaded,
    /// checks go to Redis.
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
        if self.local_cache.is_some_and(|bound| bound.is_zero()) {
            return Err(misconfigured(
                "the local view's staleness bound must not be zero",
            ));
        }
        let target = self.target()?;
        let connect_timeout = self.connect_timeout;
        let connect = async move {
            let link = Link::new(target, self.connect_timeout, self.timeout);
            let mut conn = link.get().await?;
            self.inspect_server(&mut conn.conn).await?;
            let mut channel = self.prefix.clone();
            channel.extend_from_slice(b"events");
            let prefix: Arc<[u8]> = self.prefix.into();
            let view = self.local_cache.map(|bound| {
                LocalView::start(
                    link.clone(),
                    prefix.clone(),
                    channel.clone(),
                    bound,
                    self.local_cache_capacity,
                    self.clock.clone(),
                )
            });
            Ok::<_, StoreError>(RedisStore(Arc::new(Shared {
                link,
                prefix,
                channel,
                timeout: self.timeout,
                wait: self.wait,
                clock: self.clock,
                view,
            })))
        };
        let started = tokio::time::Instant::now();
        let store = match tokio::time::timeout(connect_timeout, connect).await {
            Ok(result) => result?,
            Err(_) => {
                return Err(StoreError::unavailable(format!(
                    "could not connect to Redis within {} ms",
                    connect_timeout.as_millis()
                )));
            }
        };
        if let Some(view) = &store.0.view {
            let left = connect_timeout.saturating_sub(started.elapsed());
            if !view.wait_until_fresh(left).await {
                tracing::warn!(
                    "the local view of revocations is not loaded yet: checks go to Redis until it is"
                );
            }
        }
        Ok(store)
    }

    /// Where to connect, as the link wants it: every connection speaks RESP3 (so that a
    /// closed connection is reported at once) with the store's TCP settings.
    fn target(&self) -> Result<Target, StoreError> {
        let resp3 = |info: redis::ConnectionInfo| {
            let redis = info
                .redis_settings()
                .clone()
                .set_protocol(ProtocolVersion::RESP3);
            info.set_redis_settings(redis)
                .set_tcp_settings(tcp_settings())
        };
        match &self.target {
            TargetSpec::Url(url) => {
                let info = url
                    .as_str()
                    .into_connection_info()
                    .map_err(|_| misconfigured("invalid Redis URL"))?;
                let client = redis::Client::open(resp3(info))
                    .map_err(|_| misconfigured("invalid Redis URL"))?;
                Ok(Target::Fixed(client))
            }
            TargetSpec::Sentinel { sentinels, master } => {
                if sentinels.is_empty() {
                    return Err(misconfigured("no Redis Sentinel given"));
                }
                let sentinels = sentinels
                    .iter()
                    .map(|s| {
                        let url = if s.contains("://") {
                            s.clone()
                        } else {
                            format!("redis://{s}/")
                        };
                        url.as_str()
                            .into_connection_info()
                            .map(|info| info.set_tcp_settings(tcp_settings()))
                            .map_err(|_| misconfigured("invalid Redis Sentinel address"))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let node = SentinelNodeConnectionInfo::default()
                    .set_redis_connection_info(
                        redis::RedisConnectionInfo::default().set_protocol(ProtocolVersion::RESP3),
                    )
                    .set_tcp_settings(tcp_settings());
                let client = SentinelClient::build(
                    sentinels.clone(),
                    master.clone(),
                    Some(node),
                    SentinelServerType::Master,
                )
                .map_err(|_| misconfigured("invalid Redis Sentinel configuration"))?;
                Ok(Target::Sentinel {
                    client: tokio::sync::Mutex::new(client),
                    sentinels,
                    master: master.clone(),
                })
            }
        }
    }

    async fn inspect_server(&self, conn: &mut MultiplexedConnection) -> Result<(), StoreError> {
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
        let mut s = f.debug_struct("RedisStoreBuilder");
        match &self.target {
            TargetSpec::Url(url) => s.field("url", &redact_url(url)),
            TargetSpec::Sentinel { sentinels, master } => s
                .field(
                    "sentinels",
                    &sentinels.iter().map(|u| redact_url(u)).collect::<Vec<_>>(),
                )
                .field("master", master),
        };
        s.field("prefix", &String::from_utf8_lossy(&self.prefix))
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("allow_eviction", &self.allow_eviction)
            .field("wait", &self.wait)
            .field("local_cache", &self.local_cache)
            .field("local_cache_capacity", &self.local_cache_capacity)
            .finish()
    }
}
