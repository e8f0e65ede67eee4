//! [`IntoDuration`]: every duration the crate takes may be a [`std::time::Duration`] or a
//! [`time::Duration`], whichever the application already uses.

/// A duration of either kind: [`std::time::Duration`] or [`time::Duration`] (re-exported as
/// `jwt_extended::time`). Every setter of the crate that takes a duration accepts both.
///
/// ```
/// use jwt_extended::JwtManager;
///
/// let manager = JwtManager::builder()
///     .secret("an-example-secret-of-at-least-32-bytes!")
///     .access_expires(std::time::Duration::from_secs(15 * 60))
///     .refresh_expires(jwt_extended::time::Duration::days(30))
///     .build()?;
/// # Ok::<(), jwt_extended::ConfigError>(())
/// ```
///
/// A `std::time::Duration` longer than `time::Duration` can hold is read as the longest one;
/// a negative `time::Duration` is zero where only a length makes sense (timeouts, intervals,
/// windows) and keeps its sign where a past time is meant (`expires_in`, for tests).
pub trait IntoDuration: sealed::Sealed {
    /// The duration as a (signed) [`time::Duration`].
    fn into_time_duration(self) -> time::Duration;

    /// The duration as a [`std::time::Duration`], negative durations as zero.
    fn into_std_duration(self) -> std::time::Duration
    where
        Self: Sized,
    {
        std::time::Duration::try_from(self.into_time_duration()).unwrap_or_default()
    }
}

impl IntoDuration for std::time::Duration {
    fn into_time_duration(self) -> time::Duration {
        time::Duration::try_from(self).unwrap_or(time::Duration::MAX)
    }

    fn into_std_duration(self) -> std::time::Duration {
        self
    }
}

impl IntoDuration for time::Duration {
    fn into_time_duration(self) -> time::Duration {
        self
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for std::time::Duration {}
    impl Sealed for time::Duration {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_kinds_convert_both_ways_without_panicking() {
        let std = std::time::Duration::from_secs(90);
        assert_eq!(std.into_time_duration(), time::Duration::seconds(90));
        assert_eq!(time::Duration::seconds(90).into_std_duration(), std);
        assert_eq!(
            time::Duration::seconds(-5).into_std_duration(),
            std::time::Duration::ZERO
        );
        assert_eq!(
            std::time::Duration::MAX.into_time_duration(),
            time::Duration::MAX
        );
    }
}
