//! Time sources: the system clock, and a clock that tests control.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::duration::IntoDuration;

/// A source of the current time, as a duration since the Unix epoch.
///
/// The manager reads the time through this trait, so tests can move time by hand with
/// [`MockClock`] instead of sleeping.
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// The time elapsed since 1970-01-01T00:00:00Z. A clock set before 1970 reads zero.
    fn now(&self) -> Duration;
}

/// The system clock (the default).
///
/// ```
/// use jwt_extended::{clock::Clock, clock::SystemClock};
/// assert!(SystemClock.now().as_secs() > 1_700_000_000);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
    }
}

/// A clock that stands still until told to move. Clones share the same time.
///
/// ```
/// use std::time::Duration;
/// use jwt_extended::{clock::Clock, clock::MockClock};
///
/// let clock = MockClock::at_unix(1_700_000_000);
/// clock.advance(Duration::from_secs(60));
/// assert_eq!(clock.now().as_secs(), 1_700_000_060);
/// ```
#[derive(Debug, Clone, Default)]
pub struct MockClock {
    nanos: Arc<AtomicU64>,
}

impl MockClock {
    /// A clock reading `secs` seconds after the Unix epoch.
    pub fn at_unix(secs: u64) -> Self {
        let clock = Self::default();
        clock.set(Duration::from_secs(secs));
        clock
    }

    /// Sets the time (saturating at about year 2554).
    pub fn set(&self, since_epoch: impl IntoDuration) {
        let since_epoch = since_epoch.into_std_duration();
        let nanos = u64::try_from(since_epoch.as_nanos()).unwrap_or(u64::MAX);
        self.nanos.store(nanos, Ordering::SeqCst);
    }

    /// Moves the time forward.
    pub fn advance(&self, by: impl IntoDuration) {
        let by = u64::try_from(by.into_std_duration().as_nanos()).unwrap_or(u64::MAX);
        let _ = self
            .nanos
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                Some(n.saturating_add(by))
            });
    }

    /// Moves the time backward (saturating at the epoch).
    pub fn rewind(&self, by: impl IntoDuration) {
        let by = u64::try_from(by.into_std_duration().as_nanos()).unwrap_or(u64::MAX);
        let _ = self
            .nanos
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                Some(n.saturating_sub(by))
            });
    }
}

impl Clock for MockClock {
    fn now(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::SeqCst))
    }
}
