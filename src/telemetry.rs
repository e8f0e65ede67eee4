//! What the crate tells operators: one `tracing` event per verification, and (feature
//! `metrics`) counters and a histogram through the [`metrics`](https://docs.rs/metrics)
//! facade, so the application picks the exporter (Prometheus, StatsD, OpenTelemetry, ...).
//!
//! Nothing here ever carries a token, a part of one, a secret, a CSRF value, a claim value or
//! a subject: the fields and labels below are all there is, and their values come from the
//! fixed sets listed here, from the configuration, or from a store's own failure message.
//!
//! # Tracing
//!
//! Every guard run (extractor, [`RequireJwtLayer`](crate::RequireJwtLayer), [`Scoped`] and
//! [`HasRoles`] included) ends with one event of target [`TARGET`]
//! (`jwt_extended::verification`); an `OPTIONS` request that passes without identity has
//! none. A handler that takes two guards verifies once and gets two events (the second
//! reuses the first's result). [`JwtRequired::require`](crate::JwtRequired::require), the
//! application's own check after an accepted verification, logs its refusal at DEBUG under
//! the target `jwt_extended::rejection` and is not counted as a verification.
//!
//! | field | values |
//! |---|---|
//! | `outcome` | `accepted`, `anonymous` (an optional guard without a token), `rejected` (the client's token or request), `error` (a store, a callback or the configuration failed) |
//! | `reason` | `none` when accepted or anonymous; otherwise the [`ErrorKind`]: `missing`, `csrf`, `invalid_token`, `wrong_token_type`, `expired`, `revoked`, `fresh_required`, `user_lookup`, `claims_verification`, `forbidden`, `insufficient_scope`, `unavailable`, `token_creation`, `misconfigured` |
//! | `status` | the HTTP status of a refusal |
//! | `token_type` | `access`, `refresh` or `other`, once the token is verified |
//! | `location` | `headers`, `cookies`, `query_string` or `json`, once a token was found |
//! | `issuer` | which configured issuer verified the token: `self` for the manager's own keys, else the external issuer's name as configured |
//! | `kid` | the key id of a verified token (one the manager's keys verified; never the `kid` of a token that failed) |
//! | `cache_hit` | whether the verified-token cache answered, once the token was decoded |
//! | `cause` | with `reason` `unavailable` because the revocation store failed: the [`StoreError`]'s message, which the store writes without request data (`revocation store: Redis did not answer in time`) |
//!
//! Levels: `accepted` and `anonymous` at TRACE, `rejected` at DEBUG (client input never logs
//! above DEBUG), `error` at WARN for a failing store or callback (`unavailable`), at ERROR for
//! a misconfiguration.
//!
//! # Metrics (feature `metrics`)
//!
//! Without an installed recorder the calls do nothing. The names and labels are fixed:
//!
//! | name | kind | labels |
//! |---|---|---|
//! | [`VERIFICATIONS`] `jwt_extended_verifications_total` | counter | `outcome`, `reason` (the values of the tracing fields above) |
//! | [`TOKEN_CACHE_HITS`] `jwt_extended_token_cache_hits_total` | counter | none |
//! | [`TOKEN_CACHE_MISSES`] `jwt_extended_token_cache_misses_total` | counter | none |
//! | [`REVOCATION_STORE_CALLS`] `jwt_extended_revocation_store_calls_total` | counter | none |
//! | [`REVOCATION_STORE_ERRORS`] `jwt_extended_revocation_store_errors_total` | counter | none |
//! | [`REVOCATION_STORE_DURATION`] `jwt_extended_revocation_store_duration_seconds` | histogram | none |
//! | [`JWKS_FETCHES`] `jwt_extended_jwks_fetches_total` | counter | `outcome`: `ok` or `error` |
//!
//! The token cache counts one hit or miss per decoded token when the cache is on. The
//! revocation store counts each check a guard makes (one per verification, none for a token
//! already checked in the same request) and its errors; its latency in seconds is sampled,
//! one check in [`REVOCATION_STORE_LATENCY_SAMPLING`] (8) per thread, since reading a clock
//! twice costs about as much as a check of the in-memory store. JWKS fetches count every
//! fetch of an external issuer's key set.
//!
//! The hot path's series (accepted verifications, the token cache, the store) use handles
//! registered once with the global recorder: install the recorder before the first request
//! (a recorder installed later, or a thread-local one, still gets every count, by the
//! slower registering path).
//!
//! ```
//! # #[cfg(feature = "metrics")] {
//! use jwt_extended::telemetry;
//!
//! // Describe the metrics once, for exporters that show help texts.
//! telemetry::describe_metrics();
//! assert_eq!(telemetry::VERIFICATIONS, "jwt_extended_verifications_total");
//! # }
//! ```
//!
//! [`Scoped`]: crate::Scoped
//! [`HasRoles`]: crate::HasRoles

use crate::claims::{DecodedToken, Hot, TokenType};
use crate::error::{ErrorKind, JwtError};
use crate::locations::TokenLocation;
use crate::store::StoreError;

/// The `tracing` target of the verification events.
pub const TARGET: &str = "jwt_extended::verification";

/// Counter of guard verifications, labels `outcome` and `reason`.
pub const VERIFICATIONS: &str = "jwt_extended_verifications_total";
/// Counter of verified-token cache hits.
pub const TOKEN_CACHE_HITS: &str = "jwt_extended_token_cache_hits_total";
/// Counter of verified-token cache misses.
pub const TOKEN_CACHE_MISSES: &str = "jwt_extended_token_cache_misses_total";
/// Counter of revocation store checks.
pub const REVOCATION_STORE_CALLS: &str = "jwt_extended_revocation_store_calls_total";
/// Counter of revocation store checks that failed (the request was refused, 503).
pub const REVOCATION_STORE_ERRORS: &str = "jwt_extended_revocation_store_errors_total";
/// Histogram of revocation store check latency, in seconds: one check in
/// [`REVOCATION_STORE_LATENCY_SAMPLING`] per thread (the first, then every eighth), so its
/// count is about an eighth of [`REVOCATION_STORE_CALLS`].
pub const REVOCATION_STORE_DURATION: &str = "jwt_extended_revocation_store_duration_seconds";
/// Counter of JWKS fetches of external issuers, label `outcome` (`ok`, `error`).
pub const JWKS_FETCHES: &str = "jwt_extended_jwks_fetches_total";

/// Describes every metric (help texts and units) to the installed recorder.
#[cfg(feature = "metrics")]
#[cfg_attr(docsrs, doc(cfg(feature = "metrics")))]
pub fn describe_metrics() {
    use metrics::{Unit, describe_counter, describe_histogram};
    describe_counter!(
        VERIFICATIONS,
        Unit::Count,
        "JWT verifications by outcome and reason"
    );
    describe_counter!(TOKEN_CACHE_HITS, Unit::Count, "verified-token cache hits");
    describe_counter!(
        TOKEN_CACHE_MISSES,
        Unit::Count,
        "verified-token cache misses"
    );
    describe_counter!(
        REVOCATION_STORE_CALLS,
        Unit::Count,
        "revocation store checks"
    );
    describe_counter!(
        REVOCATION_STORE_ERRORS,
        Unit::Count,
        "revocation store checks that failed"
    );
    describe_histogram!(
        REVOCATION_STORE_DURATION,
        Unit::Seconds,
        "revocation store check latency"
    );
    describe_counter!(
        JWKS_FETCHES,
        Unit::Count,
        "JWKS fetches of external issuers by outcome"
    );
}

/// The handles of the hot path's metrics (an accepted verification, the token cache, the
/// store), registered once with the global recorder: `counter!` would look each one up in
/// the recorder's registry on every request. Used only while the recorder that registered
/// them is the current one (the global recorder is set once; a thread-local recorder, or a
/// recorder installed after the first verification, takes the registering path instead).
#[cfg(feature = "metrics")]
mod handles {
    use std::sync::OnceLock;

    use metrics::{Counter, Histogram, Recorder};

    pub(super) struct Handles {
        recorder: usize,
        pub(super) accepted: Counter,
        pub(super) cache_hits: Counter,
        pub(super) cache_misses: Counter,
        pub(super) store_calls: Counter,
        pub(super) store_duration: Histogram,
    }

    static HANDLES: OnceLock<Handles> = OnceLock::new();

    fn recorder() -> usize {
        metrics::with_recorder(|r| std::ptr::from_ref::<dyn Recorder>(r).cast::<()>() as usize)
    }

    /// The handles, when they belong to the current recorder.
    #[inline]
    pub(super) fn get() -> Option<&'static Handles> {
        let current = recorder();
        let handles = HANDLES.get_or_init(|| Handles {
            recorder: current,
            accepted: metrics::counter!(super::VERIFICATIONS, "outcome" => "accepted", "reason" => "none"),
            cache_hits: metrics::counter!(super::TOKEN_CACHE_HITS),
            cache_misses: metrics::counter!(super::TOKEN_CACHE_MISSES),
            store_calls: metrics::counter!(super::REVOCATION_STORE_CALLS),
            store_duration: metrics::histogram!(super::REVOCATION_STORE_DURATION),
        });
        (handles.recorder == current).then_some(handles)
    }
}

/// How a verification ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Accepted,
    Anonymous,
    Rejected,
    Error,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::Anonymous => "anonymous",
            Self::Rejected => "rejected",
            Self::Error => "error",
        }
    }
}

/// The `reason` label of an error kind.
pub(crate) fn reason(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Missing => "missing",
        ErrorKind::Csrf => "csrf",
        ErrorKind::InvalidToken => "invalid_token",
        ErrorKind::WrongTokenType => "wrong_token_type",
        ErrorKind::Expired => "expired",
        ErrorKind::Revoked => "revoked",
        ErrorKind::FreshRequired => "fresh_required",
        ErrorKind::UserLookup => "user_lookup",
        ErrorKind::ClaimsVerification => "claims_verification",
        ErrorKind::Forbidden => "forbidden",
        ErrorKind::InsufficientScope => "insufficient_scope",
        ErrorKind::Unavailable => "unavailable",
        ErrorKind::TokenCreation => "token_creation",
        ErrorKind::Misconfigured => "misconfigured",
    }
}

fn token_type(token: &DecodedToken) -> &'static str {
    match token.token_type() {
        TokenType::Access => "access",
        TokenType::Refresh => "refresh",
        _ => "other",
    }
}

/// What is known of a verification when it ends.
#[derive(Clone, Copy, Default)]
pub(crate) struct Seen<'a> {
    /// The verified token (also for a refusal after verification: expired, revoked, ...).
    pub(crate) token: Option<&'a DecodedToken>,
    pub(crate) location: Option<TokenLocation>,
    pub(crate) cache_hit: Option<bool>,
}

/// An accepted verification (or an optional guard without a token, `seen.token` `None`).
pub(crate) fn accepted(seen: Seen<'_>) {
    let outcome = if seen.token.is_some() {
        Outcome::Accepted
    } else {
        Outcome::Anonymous
    };
    #[cfg(feature = "metrics")]
    match handles::get() {
        Some(h) if outcome == Outcome::Accepted => h.accepted.increment(1),
        _ => metrics::counter!(VERIFICATIONS, "outcome" => outcome.as_str(), "reason" => "none")
            .increment(1),
    }
    if tracing::enabled!(target: TARGET, tracing::Level::TRACE) {
        let f = Fields::new(seen);
        tracing::trace!(
            target: TARGET,
            outcome = outcome.as_str(),
            reason = "none",
            token_type = f.token_type,
            location = f.location,
            issuer = f.issuer,
            kid = f.kid,
            cache_hit = f.cache_hit,
            "token verified"
        );
    }
}

/// A refused verification.
pub(crate) fn refused(error: &JwtError, seen: Seen<'_>) {
    let kind = error.kind();
    let outcome = match kind {
        ErrorKind::Unavailable | ErrorKind::TokenCreation | ErrorKind::Misconfigured => {
            Outcome::Error
        }
        _ => Outcome::Rejected,
    };
    let reason = reason(kind);
    #[cfg(feature = "metrics")]
    metrics::counter!(VERIFICATIONS, "outcome" => outcome.as_str(), "reason" => reason)
        .increment(1);
    let seen = Seen {
        token: seen.token.or(error.token()),
        ..seen
    };
    let status = error.status().as_u16();
    let f = Fields::new(seen);
    // A failing store's own message ("Redis did not answer in time"): the store's contract
    // keeps request data out of it. Other causes (a user loader's error) are the
    // application's text, which may hold anything, and stay out of the log.
    let cause = std::error::Error::source(error)
        .and_then(|e| e.downcast_ref::<StoreError>())
        .map(tracing::field::display);
    macro_rules! event {
        ($level:ident, $message:expr) => {
            tracing::$level!(
                target: TARGET,
                outcome = outcome.as_str(),
                reason,
                status,
                token_type = f.token_type,
                location = f.location,
                issuer = f.issuer,
                kid = f.kid,
                cache_hit = f.cache_hit,
                cause,
                "{}",
                $message
            )
        };
    }
    match kind {
        // The configuration's own message (no request data in it).
        ErrorKind::Misconfigured | ErrorKind::TokenCreation => event!(error, error.message()),
        ErrorKind::Unavailable => event!(warn, "token verification unavailable"),
        _ => event!(debug, "token rejected"),
    }
}

struct Fields<'a> {
    token_type: Option<&'static str>,
    location: Option<&'static str>,
    issuer: Option<&'a str>,
    kid: Option<&'a str>,
    cache_hit: Option<bool>,
}

impl<'a> Fields<'a> {
    fn new(seen: Seen<'a>) -> Self {
        Self {
            token_type: seen.token.map(token_type),
            location: seen.location.map(TokenLocation::as_str),
            issuer: seen.token.map(issuer_of),
            kid: seen.token.and_then(DecodedToken::kid),
            cache_hit: seen.cache_hit,
        }
    }
}

/// Which configured issuer verified `token`: `self`, or the external issuer's name (the
/// token's `iss`, which matched a configured issuer exactly).
fn issuer_of(token: &DecodedToken) -> &str {
    if token.external {
        token.hot(Hot::Iss).unwrap_or("external")
    } else {
        "self"
    }
}

/// One lookup in the verified-token cache.
#[inline]
pub(crate) fn token_cache(hit: bool) {
    #[cfg(feature = "metrics")]
    match (handles::get(), hit) {
        (Some(h), true) => h.cache_hits.increment(1),
        (Some(h), false) => h.cache_misses.increment(1),
        (None, true) => metrics::counter!(TOKEN_CACHE_HITS).increment(1),
        (None, false) => metrics::counter!(TOKEN_CACHE_MISSES).increment(1),
    }
    #[cfg(not(feature = "metrics"))]
    let _ = hit;
}

/// One revocation store check in this many is timed for the latency histogram.
pub const REVOCATION_STORE_LATENCY_SAMPLING: u32 = 8;

#[cfg(feature = "metrics")]
thread_local! {
    /// Store checks started on this thread, for the sampling of their latency.
    static STORE_CHECKS: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Counts one revocation store check, and times one in
/// [`REVOCATION_STORE_LATENCY_SAMPLING`]: reading a clock twice would cost as much as a check
/// of the in-memory store itself.
pub(crate) struct StoreTimer {
    #[cfg(feature = "metrics")]
    started: Option<quanta::Instant>,
}

impl StoreTimer {
    #[inline]
    pub(crate) fn start() -> Self {
        Self {
            #[cfg(feature = "metrics")]
            started: STORE_CHECKS
                .with(|n| {
                    let next = n.get().wrapping_add(1);
                    n.set(next);
                    next % REVOCATION_STORE_LATENCY_SAMPLING == 1
                })
                .then(quanta::Instant::now),
        }
    }

    /// The check ended, failed or not.
    #[inline]
    pub(crate) fn finish(self, failed: bool) {
        #[cfg(feature = "metrics")]
        {
            let elapsed = self.started.map(|started| started.elapsed());
            match handles::get() {
                Some(h) => {
                    h.store_calls.increment(1);
                    if let Some(elapsed) = elapsed {
                        h.store_duration.record(elapsed);
                    }
                }
                None => {
                    metrics::counter!(REVOCATION_STORE_CALLS).increment(1);
                    if let Some(elapsed) = elapsed {
                        metrics::histogram!(REVOCATION_STORE_DURATION).record(elapsed);
                    }
                }
            }
            if failed {
                metrics::counter!(REVOCATION_STORE_ERRORS).increment(1);
            }
        }
        #[cfg(not(feature = "metrics"))]
        let _ = failed;
    }
}

/// One fetch of an external issuer's JWK Set (discovery included), counted by outcome.
/// The fetcher logs it itself, with the issuer and the reason of a failure.
#[cfg(feature = "jwks")]
pub(crate) fn jwks_fetch(ok: bool) {
    #[cfg(feature = "metrics")]
    {
        let outcome = if ok { "ok" } else { "error" };
        metrics::counter!(JWKS_FETCHES, "outcome" => outcome).increment(1);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = ok;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_reason() {
        use std::collections::HashSet;
        let kinds = [
            ErrorKind::Missing,
            ErrorKind::Csrf,
            ErrorKind::InvalidToken,
            ErrorKind::WrongTokenType,
            ErrorKind::Expired,
            ErrorKind::Revoked,
            ErrorKind::FreshRequired,
            ErrorKind::UserLookup,
            ErrorKind::ClaimsVerification,
            ErrorKind::Forbidden,
            ErrorKind::InsufficientScope,
            ErrorKind::Unavailable,
            ErrorKind::TokenCreation,
            ErrorKind::Misconfigured,
        ];
        let reasons: HashSet<_> = kinds.iter().map(|k| reason(*k)).collect();
        assert_eq!(reasons.len(), kinds.len());
        jwks_fetch(true);
        jwks_fetch(false);
    }
}
