//! The link to the primary: one multiplexed RESP3 connection, shared by every call and
//! replaced as soon as it drops, not when a request finds it dead.
//!
//! The connection's push channel reports a closed socket (Redis restarted, killed, or a
//! Sentinel reconfiguring it after a failover); the link then forgets the connection and
//! reconnects in the background with a backoff (20 ms doubling up to 500 ms) until it has
//! a new one, so an idle instance is connected again before its next request. A call that
//! finds no connection connects itself (one attempt at a time). Every new connection is
//! checked to be to a primary (`ROLE`): a replica can miss recent revocations.
//!
//! With Sentinel, each connection goes to the primary the Sentinels name at that moment,
//! and a watcher asks them every [`SENTINEL_POLL`] whether it is still the primary, and
//! drops the connection when it is not.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock, Weak};
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::sentinel::SentinelClient;
use redis::{AsyncConnectionConfig, PushInfo, PushKind, Value};

use super::{from_redis, text};
use crate::store::{StoreError, StoreErrorKind};

/// How often the Sentinels are asked which server is the primary.
pub(super) const SENTINEL_POLL: Duration = Duration::from_millis(500);

const BACKOFF_MIN: Duration = Duration::from_millis(20);
const BACKOFF_MAX: Duration = Duration::from_millis(500);

/// Where the primary is.
pub(super) enum Target {
    /// A fixed address.
    Fixed(redis::Client),
    /// Whatever primary the Sentinels name for `master`.
    Sentinel {
        client: tokio::sync::Mutex<SentinelClient>,
        sentinels: Vec<redis::ConnectionInfo>,
        master: String,
    },
}

/// A live connection and what it is to.
#[derive(Clone)]
pub(super) struct Conn {
    pub(super) conn: MultiplexedConnection,
    pub(super) generation: u64,
    pub(super) addr: String,
}

/// The shared connection to the primary. Cheap to clone.
#[derive(Clone)]
pub(super) struct Link(Arc<Inner>);

struct Inner {
    target: Target,
    connect_timeout: Duration,
    response_timeout: Duration,
    current: RwLock<Option<Conn>>,
    /// One connection attempt at a time.
    connecting: tokio::sync::Mutex<()>,
    generation: AtomicU64,
}

impl Link {
    pub(super) fn new(
        target: Target,
        connect_timeout: Duration,
        response_timeout: Duration,
    ) -> Self {
        let link = Self(Arc::new(Inner {
            target,
            connect_timeout,
            response_timeout,
            current: RwLock::new(None),
            connecting: tokio::sync::Mutex::new(()),
            generation: AtomicU64::new(0),
        }));
        if matches!(link.0.target, Target::Sentinel { .. }) {
            tokio::spawn(watch_sentinels(Arc::downgrade(&link.0)));
        }
        link
    }

    /// The current connection, connecting first when there is none.
    pub(super) async fn get(&self) -> Result<Conn, StoreError> {
        if let Some(conn) = self.0.current() {
            return Ok(conn);
        }
        let _attempt = self.0.connecting.lock().await;
        if let Some(conn) = self.0.current() {
            return Ok(conn);
        }
        Inner::connect(&self.0).await
    }

    /// Forgets connection `generation` (found dead, or talking to a demoted primary) and
    /// reconnects in the background.
    pub(super) fn lost(&self, generation: u64) {
        Inner::lost(&self.0, generation);
    }

    /// A connection of its own (for a subscription), to the current primary, with `push`
    /// receiving its push messages (and a [`PushKind::Disconnection`] when it drops).
    pub(super) async fn dedicated(
        &self,
        push: tokio::sync::mpsc::UnboundedSender<PushInfo>,
    ) -> Result<(MultiplexedConnection, String), StoreError> {
        let config = self.0.config().set_push_sender(push);
        self.0.open(&config).await
    }
}

impl Inner {
    fn current(&self) -> Option<Conn> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn config(&self) -> AsyncConnectionConfig {
        AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.connect_timeout))
            .set_response_timeout(Some(self.response_timeout))
    }

    /// Connects to the primary with `config`, and checks that it is one.
    async fn open(
        &self,
        config: &AsyncConnectionConfig,
    ) -> Result<(MultiplexedConnection, String), StoreError> {
        let client = match &self.target {
            Target::Fixed(client) => client.clone(),
            Target::Sentinel { client, .. } => {
                let mut sentinel = client.lock().await;
                tokio::time::timeout(self.connect_timeout, sentinel.async_get_client())
                    .await
                    .map_err(|_| StoreError::unavailable("no Sentinel answered in time"))?
                    .map_err(from_redis)?
            }
        };
        let addr = client.get_connection_info().addr().to_string();
        let mut conn = client
            .get_multiplexed_async_connection_with_config(config)
            .await
            .map_err(from_redis)?;
        match redis::cmd("ROLE").query_async::<Value>(&mut conn).await {
            Ok(Value::Array(role)) if role.first().and_then(text).as_deref() != Some("master") => {
                // A fixed address to a replica is a configuration mistake; under Sentinel it
                // is a failover in progress.
                let kind = match self.target {
                    Target::Fixed(_) => StoreErrorKind::Misconfigured,
                    Target::Sentinel { .. } => StoreErrorKind::Unavailable,
                };
                Err(StoreError::new(
                    kind,
                    "the Redis server is not a primary: reads from a replica can miss recent \
                     revocations",
                ))
            }
            // (ROLE refused by an ACL: the build-time inspection already warned)
            Ok(_) => Ok((conn, addr)),
            Err(err) if err.code().is_some() => Ok((conn, addr)),
            Err(err) => Err(from_redis(err)),
        }
    }

    /// Connects and installs the connection. The caller holds `connecting`.
    async fn connect(this: &Arc<Self>) -> Result<Conn, StoreError> {
        let generation = this.generation.fetch_add(1, Ordering::Relaxed) + 1;
        let weak = Arc::downgrade(this);
        let on_push = move |info: PushInfo| -> Result<(), std::convert::Infallible> {
            if info.kind == PushKind::Disconnection
                && let Some(inner) = weak.upgrade()
            {
                Self::lost(&inner, generation);
            }
            Ok(())
        };
        let config = this.config().set_push_sender(on_push);
        let (conn, addr) = this.open(&config).await?;
        let conn = Conn {
            conn,
            generation,
            addr,
        };
        *this.current.write().unwrap_or_else(PoisonError::into_inner) = Some(conn.clone());
        Ok(conn)
    }

    fn lost(this: &Arc<Self>, generation: u64) {
        let mut current = this.current.write().unwrap_or_else(PoisonError::into_inner);
        if current.as_ref().is_some_and(|c| c.generation == generation) {
            *current = None;
            drop(current);
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(reconnect(Arc::downgrade(this)));
            }
        }
    }
}

/// Reconnects until there is a connection again or the store is gone.
async fn reconnect(weak: Weak<Inner>) {
    let mut delay = BACKOFF_MIN;
    loop {
        let Some(inner) = weak.upgrade() else { return };
        {
            let _attempt = inner.connecting.lock().await;
            if inner.current().is_some() {
                return;
            }
            let attempt = Inner::connect(&inner);
            if let Ok(Ok(_)) = tokio::time::timeout(inner.connect_timeout, attempt).await {
                tracing::info!("reconnected to the Redis primary");
                return;
            }
        }
        drop(inner);
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(BACKOFF_MAX);
    }
}

/// Asks the Sentinels which server is the primary, and drops the connection when it is
/// to another one (the link then reconnects to the new primary).
async fn watch_sentinels(weak: Weak<Inner>) {
    let mut sentinel: Option<(usize, MultiplexedConnection)> = None;
    let mut next = 0;
    loop {
        tokio::time::sleep(SENTINEL_POLL).await;
        let Some(inner) = weak.upgrade() else { return };
        let Target::Sentinel {
            sentinels, master, ..
        } = &inner.target
        else {
            return;
        };
        if sentinel.is_none() && !sentinels.is_empty() {
            let index = next % sentinels.len();
            next += 1;
            let config = inner.config();
            if let Ok(client) = redis::Client::open(sentinels[index].clone())
                && let Ok(Ok(conn)) = tokio::time::timeout(
                    inner.connect_timeout,
                    client.get_multiplexed_async_connection_with_config(&config),
                )
                .await
            {
                sentinel = Some((index, conn));
            }
        }
        let Some((_, conn)) = sentinel.as_mut() else {
            continue;
        };
        let reply = redis::cmd("SENTINEL")
            .arg("get-master-addr-by-name")
            .arg(master)
            .query_async::<Option<(String, u16)>>(conn)
            .await;
        match reply {
            Ok(Some((host, port))) => {
                let named = format!("{host}:{port}");
                if let Some(current) = inner.current()
                    && current.addr != named
                {
                    tracing::warn!("the Sentinels name another Redis primary: switching to it");
                    Inner::lost(&inner, current.generation);
                }
            }
            Ok(None) => {}
            Err(_) => sentinel = None,
        }
    }
}
