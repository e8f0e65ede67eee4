//! The local view of revocations (opt-in, [`local_cache`](super::RedisStoreBuilder::local_cache)):
//! a [`MemoryStore`] that mirrors every revoked id and "not before" time Redis holds,
//! kept current by the events the revocation scripts publish.
//!
//! A background task, per store:
//!
//! 1. opens a connection of its own to the primary and subscribes to the event channel;
//! 2. loads every `revoked:` and `user:` key (`SCAN`, then `GET` and `PTTL`); events that
//!    arrive meanwhile wait in the connection's push queue and are applied after, which
//!    is right in any order: an entry is only ever added, extended, or given a later
//!    "not before" time;
//! 3. pings Redis on that connection every quarter of the staleness bound. Redis answers
//!    a connection's commands and delivers its messages in order, so when the reply comes
//!    every event published before the ping reached Redis has been received; once they are
//!    applied, the view is fresh as of the moment the ping was sent.
//!
//! A check trusts the view only when that moment is at most the bound ago. A ping without
//! a reply in time, a dropped connection, an event that cannot be read or a full mirror
//! end the session: the view is not trusted (checks go to Redis) until a new session has
//! resubscribed, reloaded and had a ping answered. Entries already in the mirror stay:
//! they were true revocations and expire by themselves.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use redis::aio::MultiplexedConnection;
use redis::{PushInfo, PushKind, Value};
use tokio::sync::mpsc::UnboundedReceiver;

use super::link::Link;
use crate::clock::Clock;
use crate::store::{Check, MAX_UNTIL, MemoryStore, RevocationStore, StoreError};

const NEVER: u64 = u64::MAX;
const BACKOFF_MIN: Duration = Duration::from_millis(20);
const BACKOFF_MAX: Duration = Duration::from_millis(1000);
/// The wait before rebuilding a view that was full.
const INCOMPLETE_PAUSE: Duration = Duration::from_secs(5);
/// Keys read per `SCAN` step during a load.
const SCAN_COUNT: usize = 1000;

pub(super) struct LocalView {
    mirror: MemoryStore,
    clock: Arc<dyn Clock>,
    bound_ms: u64,
    base: Instant,
    /// When (ms since `base`) the latest answered ping was sent, in a session whose load
    /// completed; [`NEVER`] when the view is not trusted.
    fresh_as_of: AtomicU64,
    /// Nothing was left out of the mirror in this session (no full mirror, no unreadable
    /// event).
    complete: AtomicBool,
}

/// The store's clock, for the mirror.
#[derive(Debug)]
struct SharedClock(Arc<dyn Clock>);

impl Clock for SharedClock {
    fn now(&self) -> Duration {
        self.0.now()
    }
}

struct Session<'a> {
    link: &'a Link,
    prefix: &'a [u8],
    channel: &'a [u8],
}

impl LocalView {
    pub(super) fn start(
        link: Link,
        prefix: Arc<[u8]>,
        channel: Vec<u8>,
        bound: Duration,
        capacity: usize,
        clock: Arc<dyn Clock>,
    ) -> Arc<Self> {
        let view = Arc::new(Self {
            mirror: MemoryStore::new()
                .with_capacity(capacity)
                .with_clock(SharedClock(clock.clone())),
            clock,
            bound_ms: u64::try_from(bound.as_millis()).unwrap_or(u64::MAX),
            base: Instant::now(),
            fresh_as_of: AtomicU64::new(NEVER),
            complete: AtomicBool::new(false),
        });
        tokio::spawn(run(Arc::downgrade(&view), link, prefix, channel));
        view
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.base.elapsed().as_millis()).unwrap_or(NEVER - 1)
    }

    pub(super) fn is_fresh(&self) -> bool {
        let fresh_as_of = self.fresh_as_of.load(Ordering::Acquire);
        fresh_as_of != NEVER && self.now_ms().saturating_sub(fresh_as_of) <= self.bound_ms
    }

    pub(super) fn len(&self) -> usize {
        self.mirror.len()
    }

    /// The answer from the view, or `None` when it is not trusted right now.
    pub(super) fn check(&self, ids: &[&str], identity: Option<&str>) -> Option<Check> {
        if !self.is_fresh() {
            return None;
        }
        // The memory store's futures complete on their first poll.
        let check = std::pin::pin!(self.mirror.check(ids, identity));
        match check.poll(&mut std::task::Context::from_waker(std::task::Waker::noop())) {
            std::task::Poll::Ready(Ok(check)) => Some(check),
            _ => None,
        }
    }

    /// Waits until the view is trusted, for at most `within`.
    pub(super) async fn wait_until_fresh(&self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while !self.is_fresh() {
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        true
    }

    /// A revocation this store made: in the view at once.
    pub(super) fn revoked_here(&self, id: &str, until: u64) {
        let written = self.mirror.revoke(id, until);
        self.settle(written);
    }

    pub(super) fn user_revoked_here(&self, identity: &str, not_before: u64, until: u64) {
        let written = self.mirror.revoke_user_before(identity, not_before, until);
        self.settle(written);
    }

    /// Runs a mirror write (the memory store's futures complete at once); a write the
    /// mirror refuses (full) makes the view untrusted.
    fn settle(&self, write: impl std::future::Future<Output = Result<(), StoreError>>) -> bool {
        let mut write = std::pin::pin!(write);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match write.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(Ok(())) => true,
            _ => {
                self.distrust();
                false
            }
        }
    }

    fn distrust(&self) {
        self.complete.store(false, Ordering::Release);
        self.fresh_as_of.store(NEVER, Ordering::Release);
    }

    /// The keep-until time (store clock, seconds) of an entry Redis keeps `pttl` more ms.
    fn until(&self, pttl: i64) -> u64 {
        match u64::try_from(pttl) {
            Ok(ms) => self
                .clock
                .now()
                .as_secs()
                .saturating_add(ms.div_ceil(1000))
                .saturating_add(1)
                .min(MAX_UNTIL),
            Err(_) => MAX_UNTIL,
        }
    }

    /// Applies one event message; `false` when it cannot be read or not be kept.
    fn apply(&self, message: &[u8]) -> bool {
        let mut fields = message.splitn(3, |b| *b == b' ');
        let (Some(kind), Some(pttl), Some(rest)) = (fields.next(), fields.next(), fields.next())
        else {
            return false;
        };
        let Some(pttl) = std::str::from_utf8(pttl).ok().and_then(|s| s.parse().ok()) else {
            return false;
        };
        let until = self.until(pttl);
        match kind {
            b"r" => match std::str::from_utf8(rest) {
                Ok(id) => self.settle(self.mirror.revoke(id, until)),
                Err(_) => false,
            },
            b"u" => {
                let mut fields = rest.splitn(2, |b| *b == b' ');
                let (Some(not_before), Some(identity)) = (fields.next(), fields.next()) else {
                    return false;
                };
                match (
                    std::str::from_utf8(not_before)
                        .ok()
                        .and_then(|s| s.parse().ok()),
                    std::str::from_utf8(identity),
                ) {
                    (Some(not_before), Ok(identity)) => {
                        self.settle(self.mirror.revoke_user_before(identity, not_before, until))
                    }
                    _ => false,
                }
            }
            _ => false,
        }
    }

    /// Applies every queued push message; `Err` when the connection dropped or a
    /// message could not be applied.
    fn drain(&self, rx: &mut UnboundedReceiver<PushInfo>, channel: &[u8]) -> Result<(), End> {
        while let Ok(info) = rx.try_recv() {
            self.push(info, channel)?;
        }
        Ok(())
    }

    fn push(&self, info: PushInfo, channel: &[u8]) -> Result<(), End> {
        match info.kind {
            PushKind::Disconnection => Err(End::Lost),
            PushKind::Message => match info.data.as_slice() {
                [Value::BulkString(ch), Value::BulkString(message)] if ch == channel => {
                    if self.apply(message) {
                        Ok(())
                    } else {
                        self.distrust();
                        Err(End::Incomplete)
                    }
                }
                _ => Ok(()),
            },
            _ => Ok(()),
        }
    }
}

impl fmt::Debug for LocalView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalView")
            .field("max_staleness_ms", &self.bound_ms)
            .field("fresh", &self.is_fresh())
            .field("entries", &self.mirror.len())
            .finish()
    }
}

/// Why a session ended.
#[derive(Debug, Clone, Copy)]
enum End {
    /// The store is gone.
    Dropped,
    /// The connection dropped, or Redis did not answer in time.
    Lost,
    /// The mirror could not take everything.
    Incomplete,
}

impl From<StoreError> for End {
    fn from(_: StoreError) -> Self {
        End::Lost
    }
}

impl From<redis::RedisError> for End {
    fn from(_: redis::RedisError) -> Self {
        End::Lost
    }
}

/// Runs sessions until the store is dropped.
async fn run(weak: Weak<LocalView>, link: Link, prefix: Arc<[u8]>, channel: Vec<u8>) {
    let session = Session {
        link: &link,
        prefix: &prefix,
        channel: &channel,
    };
    let mut delay = BACKOFF_MIN;
    loop {
        let started = Instant::now();
        let end = session.run(&weak).await;
        let Some(view) = weak.upgrade() else { return };
        view.fresh_as_of.store(NEVER, Ordering::Release);
        drop(view);
        match end {
            End::Dropped => return,
            End::Lost => tracing::warn!(
                "the local view of revocations lost its link to Redis: checks go to Redis \
                 until it is rebuilt"
            ),
            End::Incomplete => tracing::warn!(
                "the local view of revocations is full or got an unreadable event: checks go \
                 to Redis until it is rebuilt"
            ),
        }
        // A session that lasted resets the backoff.
        if started.elapsed() > BACKOFF_MAX * 4 {
            delay = BACKOFF_MIN;
        }
        // A full view waits for entries to expire rather than reloading every second.
        let pause = match end {
            End::Incomplete => delay.max(INCOMPLETE_PAUSE),
            _ => delay,
        };
        tokio::time::sleep(pause).await;
        delay = (delay * 2).min(BACKOFF_MAX);
    }
}

impl Session<'_> {
    async fn run(&self, weak: &Weak<LocalView>) -> End {
        match self.serve(weak).await {
            Ok(never) => match never {},
            Err(end) => end,
        }
    }

    async fn serve(&self, weak: &Weak<LocalView>) -> Result<std::convert::Infallible, End> {
        let (bound, ping_every) = {
            let view = weak.upgrade().ok_or(End::Dropped)?;
            let bound = Duration::from_millis(view.bound_ms);
            let ping_every = (bound / 4).clamp(Duration::from_millis(1), Duration::from_secs(1));
            (bound, ping_every)
        };
        // A reply slower than this ends the session (the view is stale long before).
        let patience = (bound * 2).max(Duration::from_secs(1));
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let (mut conn, _addr) = self.link.dedicated(tx).await?;
        tokio::time::timeout(patience, conn.subscribe(self.channel))
            .await
            .map_err(|_| End::Lost)??;
        {
            let view = weak.upgrade().ok_or(End::Dropped)?;
            view.complete.store(true, Ordering::Release);
            self.load(&view, &mut conn, patience).await?;
            view.drain(&mut rx, self.channel)?;
        }
        loop {
            let view = weak.upgrade().ok_or(End::Dropped)?;
            let sent_at = view.now_ms();
            let next = tokio::time::Instant::now() + ping_every;
            tokio::time::timeout(patience, redis::cmd("PING").query_async::<Value>(&mut conn))
                .await
                .map_err(|_| End::Lost)??;
            view.drain(&mut rx, self.channel)?;
            if !view.complete.load(Ordering::Acquire) {
                return Err(End::Incomplete);
            }
            view.fresh_as_of.store(sent_at, Ordering::Release);
            drop(view);
            loop {
                tokio::select! {
                    info = rx.recv() => {
                        let info = info.ok_or(End::Lost)?;
                        weak.upgrade().ok_or(End::Dropped)?.push(info, self.channel)?;
                    }
                    () = tokio::time::sleep_until(next) => break,
                }
            }
        }
    }

    /// Loads every revoked id and user of the prefix into the mirror.
    async fn load(
        &self,
        view: &LocalView,
        conn: &mut MultiplexedConnection,
        patience: Duration,
    ) -> Result<(), End> {
        for kind in [&b"revoked:"[..], b"user:"] {
            let mut pattern = glob_escape(self.prefix);
            pattern.extend_from_slice(kind);
            pattern.push(b'*');
            let skip = self.prefix.len() + kind.len();
            let mut cursor = 0u64;
            loop {
                let scan = redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(&pattern)
                    .arg("COUNT")
                    .arg(SCAN_COUNT)
                    .clone();
                let (next, keys): (u64, Vec<Vec<u8>>) =
                    tokio::time::timeout(patience, scan.query_async(conn))
                        .await
                        .map_err(|_| End::Lost)??;
                if !keys.is_empty() {
                    let mut pipe = redis::pipe();
                    for key in &keys {
                        pipe.cmd("GET").arg(key).cmd("PTTL").arg(key);
                    }
                    let replies: Vec<Value> =
                        tokio::time::timeout(patience, pipe.ignore_errors().query_async(conn))
                            .await
                            .map_err(|_| End::Lost)??;
                    if replies.len() != keys.len() * 2 {
                        return Err(End::Lost);
                    }
                    for (key, pair) in keys.iter().zip(replies.chunks(2)) {
                        let Ok(name) = std::str::from_utf8(&key[skip..]) else {
                            continue; // (not a key this store wrote: ids are UTF-8)
                        };
                        let pttl = match &pair[1] {
                            Value::Int(pttl) => *pttl,
                            _ => -1,
                        };
                        let kept = match (&pair[0], kind) {
                            (Value::Nil, _) => true, // expired since the scan
                            // Anything else at a revoked id counts as revoked, and an
                            // unreadable "not before" as "every token": the strict check
                            // would refuse with an error; the view refuses too.
                            (_, b"revoked:") => {
                                view.settle(view.mirror.revoke(name, view.until(pttl)))
                            }
                            (value, _) => {
                                let not_before = match value {
                                    Value::BulkString(v) => {
                                        super::parse_u64(v, "").unwrap_or(u64::MAX)
                                    }
                                    _ => u64::MAX,
                                };
                                view.settle(view.mirror.revoke_user_before(
                                    name,
                                    not_before,
                                    view.until(pttl),
                                ))
                            }
                        };
                        if !kept {
                            return Err(End::Incomplete);
                        }
                    }
                }
                if next == 0 {
                    break;
                }
                cursor = next;
            }
        }
        Ok(())
    }
}

/// `bytes` as a `SCAN MATCH` pattern that matches exactly them.
fn glob_escape(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    for &b in bytes {
        if matches!(b, b'*' | b'?' | b'[' | b']' | b'\\') {
            out.push(b'\\');
        }
        out.push(b);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::glob_escape;

    #[test]
    fn glob_patterns_are_escaped() {
        assert_eq!(glob_escape(b"app:jwt:"), b"app:jwt:");
        assert_eq!(glob_escape(b"a*b?[c]\\"), b"a\\*b\\?\\[c\\]\\\\");
    }
}
