//! One issuer's key set over time: fetched (discovery, then the key set), kept, refreshed
//! in the background, re-fetched once per cooldown for an unknown `kid` (single flight).
//!
//! # Why it never hangs and never fails open
//!
//! - A lookup first reads the current table (a read lock, never held across an await): a
//!   known key answers at once, whatever a fetch in progress is doing.
//! - Fetches are serialised by one async mutex (single flight). A request with an unknown
//!   `kid` takes it; when it gets it, it looks again (the fetch it waited for may have
//!   brought the key), and fetches only when the last attempt is older than the cooldown.
//!   So a flood of unknown `kid`s costs at most one fetch per cooldown.
//! - Each refresh (discovery plus key set) runs under the issuer's timeout, and bodies are
//!   capped: a waiting request waits at most the timeout, then gets its answer.
//! - A refresh replaces the table only with a set that parsed and holds at least one usable
//!   key; a failed, slow, oversized or garbage answer leaves the cached keys in use.
//! - An unknown `kid` after a successful fetch is the token's fault (422); after a failed
//!   one, the key cannot be had (503).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::Duration;

use http::Uri;
use jsonwebtoken::crypto::CryptoProvider;
use jsonwebtoken::{Algorithm, AlgorithmFamily};
use serde_json::Value;
use tokio::time::Instant;

use super::http::{FetchError, HttpClient, MAX_RESPONSE_BYTES, check_url};
use super::{Issuer, Source};
use crate::decode::KeySource;
use crate::error::{ConfigError, ErrorKind, JwtError};
use crate::jwk::{KeyTable, Lookup, parse_set};
use crate::keys::VerifyKey;
use crate::telemetry;

/// An issuer's keys and its rules, built once per manager.
pub(crate) struct IssuerKeys {
    pub(crate) issuer: Box<str>,
    pub(crate) audience: Vec<String>,
    pub(crate) algorithms: Vec<Algorithm>,
    provider: &'static CryptoProvider,
    table: RwLock<Arc<KeyTable>>,
    /// `None` for a static key set.
    fetcher: Option<Fetcher>,
}

struct Fetcher {
    client: HttpClient,
    /// The discovery document's URL, or `None` when the key set's URL is configured.
    discovery: Option<Uri>,
    /// The key set's URL: configured, or the last one discovery gave.
    jwks_uri: Mutex<Option<Uri>>,
    cooldown: Duration,
    timeout: Duration,
    refresh_default: Duration,
    refresh_min: Duration,
    refresh_max: Duration,
    /// The single flight: held while fetching; records the last attempt.
    flight: tokio::sync::Mutex<Attempt>,
    started: AtomicBool,
    fetches: AtomicU64,
}

#[derive(Clone, Copy)]
struct Attempt {
    at: Option<Instant>,
    ok: bool,
}

/// Why no key could be had for a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyError {
    /// The key set could not be fetched (503).
    Unavailable,
    /// The issuer has no key with this `kid` (422).
    UnknownKid,
    /// The `kid` is pinned to another algorithm (422).
    WrongAlgorithm,
    /// No `kid`, and several keys fit (422).
    KidRequired,
}

impl KeyError {
    pub(crate) fn into_error(self) -> JwtError {
        match self {
            Self::Unavailable => JwtError::new(
                ErrorKind::Unavailable,
                "The token issuer's keys are unavailable",
            ),
            Self::UnknownKid => JwtError::invalid("Unknown key id (kid)"),
            Self::WrongAlgorithm => JwtError::invalid("The specified alg value is not allowed"),
            Self::KidRequired => JwtError::invalid("Missing key id (kid)"),
        }
    }
}

fn bad(reason: impl Into<String>) -> ConfigError {
    ConfigError::InvalidOption {
        option: "issuer",
        reason: reason.into(),
    }
}

impl IssuerKeys {
    /// Checks the issuer's configuration and sets up its key set (parsed now when static;
    /// fetched later otherwise, so a service starts while its issuer is down).
    pub(crate) fn new(
        config: Issuer,
        provider: &'static CryptoProvider,
    ) -> Result<Arc<Self>, ConfigError> {
        let Issuer {
            issuer,
            source,
            audience,
            algorithms,
            cooldown,
            refresh_default,
            refresh_min,
            refresh_max,
            timeout,
            client,
        } = config;
        if issuer.is_empty() {
            return Err(bad("the issuer must not be empty"));
        }
        if audience.is_empty() || audience.iter().any(String::is_empty) {
            return Err(bad(format!(
                "{issuer}: an audience is required for tokens of an external issuer"
            )));
        }
        if algorithms.is_empty() {
            return Err(bad(format!("{issuer}: no algorithm allowed")));
        }
        if let Some(alg) = algorithms
            .iter()
            .find(|a| a.family() == AlgorithmFamily::Hmac)
        {
            return Err(ConfigError::AlgorithmMismatch {
                algorithm: *alg,
                reason: "an external issuer's keys are public keys; HMAC is never accepted",
            });
        }
        let mut table = KeyTable::default();
        let fetch_from = match source {
            Source::Static(json) => {
                let parsed = parse_set(json.as_bytes(), provider, &algorithms)
                    .map_err(|e| bad(format!("{issuer}: {}", e.as_str())))?;
                table = parsed.table;
                None
            }
            Source::Discovery => {
                check_url("issuer", &issuer)?;
                let url = format!(
                    "{}/.well-known/openid-configuration",
                    issuer.trim_end_matches('/')
                );
                Some((Some(check_url("issuer", &url)?), None))
            }
            Source::JwksUrl(url) => Some((None, Some(check_url("jwks_url", &url)?))),
        };
        let fetcher = match fetch_from {
            None => None,
            Some((discovery, jwks_uri)) => {
                if timeout.is_zero() || timeout > Duration::from_secs(60) {
                    return Err(bad(format!(
                        "{issuer}: the timeout must be between 1 ms and 60 s"
                    )));
                }
                if refresh_min.is_zero()
                    || refresh_min > refresh_max
                    || !(refresh_min..=refresh_max).contains(&refresh_default)
                {
                    return Err(bad(format!(
                        "{issuer}: the refresh interval needs 0 < min <= default <= max"
                    )));
                }
                let client = match client {
                    Some(client) => client,
                    None => default_client()?,
                };
                Some(Fetcher {
                    client,
                    discovery,
                    jwks_uri: Mutex::new(jwks_uri),
                    cooldown,
                    timeout,
                    refresh_default,
                    refresh_min,
                    refresh_max,
                    flight: tokio::sync::Mutex::new(Attempt {
                        at: None,
                        ok: false,
                    }),
                    started: AtomicBool::new(false),
                    fetches: AtomicU64::new(0),
                })
            }
        };
        let keys = Arc::new(Self {
            issuer: issuer.into(),
            audience,
            algorithms,
            provider,
            table: RwLock::new(Arc::new(table)),
            fetcher,
        });
        keys.start();
        Ok(keys)
    }

    /// The crypto backend the keys verify with.
    pub(crate) fn provider(&self) -> &'static CryptoProvider {
        self.provider
    }

    /// The current table.
    pub(crate) fn table(&self) -> Arc<KeyTable> {
        match self.table.read() {
            Ok(t) => t.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn set_table(&self, table: KeyTable) {
        let table = Arc::new(table);
        match self.table.write() {
            Ok(mut t) => *t = table,
            Err(poisoned) => *poisoned.into_inner() = table,
        }
    }

    /// How many times the key set (or discovery document) was requested.
    #[cfg(all(test, any(feature = "aws-lc-rs", feature = "rust-crypto")))]
    pub(crate) fn fetches(&self) -> u64 {
        self.fetcher
            .as_ref()
            .map_or(0, |f| f.fetches.load(Ordering::Relaxed))
    }

    /// A table holding the key for `kid` and `alg`, fetching once per cooldown when the
    /// `kid` is unknown.
    pub(crate) async fn table_for(
        self: &Arc<Self>,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Arc<KeyTable>, KeyError> {
        if !self.algorithms.contains(&alg) {
            // Never worth a fetch: no key of this issuer may verify it.
            return Err(KeyError::WrongAlgorithm);
        }
        let table = self.table();
        match table.lookup(kid, alg) {
            Lookup::Found(_) => return Ok(table),
            Lookup::WrongAlgorithm => return Err(KeyError::WrongAlgorithm),
            Lookup::Ambiguous => return Err(KeyError::KidRequired),
            Lookup::Unknown => {}
        }
        let Some(fetcher) = &self.fetcher else {
            return Err(KeyError::UnknownKid);
        };
        self.start();
        let mut attempt = fetcher.flight.lock().await;
        // The fetch this request may have waited for could have brought the key.
        let table = self.table();
        match table.lookup(kid, alg) {
            Lookup::Found(_) => return Ok(table),
            Lookup::WrongAlgorithm => return Err(KeyError::WrongAlgorithm),
            Lookup::Ambiguous => return Err(KeyError::KidRequired),
            Lookup::Unknown => {}
        }
        let recent = attempt.at.is_some_and(|at| at.elapsed() < fetcher.cooldown);
        if !recent {
            self.refresh(fetcher, &mut attempt).await;
        }
        let table = self.table();
        match table.lookup(kid, alg) {
            Lookup::Found(_) => Ok(table),
            Lookup::WrongAlgorithm => Err(KeyError::WrongAlgorithm),
            Lookup::Ambiguous => Err(KeyError::KidRequired),
            Lookup::Unknown if attempt.ok => Err(KeyError::UnknownKid),
            Lookup::Unknown => Err(KeyError::Unavailable),
        }
    }

    /// Starts the background refresh, once, when a tokio runtime is there to run it (it is
    /// tried again on every lookup of an unknown key until then).
    fn start(self: &Arc<Self>) {
        let Some(fetcher) = &self.fetcher else { return };
        if fetcher.started.load(Ordering::Acquire) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if fetcher.started.swap(true, Ordering::AcqRel) {
            return;
        }
        runtime.spawn(background(Arc::downgrade(self)));
    }

    /// One refresh under the single flight (the caller holds it): records the attempt,
    /// replaces the table on success. Returns the next refresh delay.
    async fn refresh(&self, fetcher: &Fetcher, attempt: &mut Attempt) -> Duration {
        let started = Instant::now();
        let outcome = match tokio::time::timeout(fetcher.timeout, self.fetch(fetcher)).await {
            Ok(outcome) => outcome,
            Err(_) => Err(format!("timed out after {:?}", fetcher.timeout)),
        };
        *attempt = Attempt {
            at: Some(started),
            ok: outcome.is_ok(),
        };
        telemetry::jwks_fetch(outcome.is_ok());
        match outcome {
            Ok((table, skipped, max_age)) => {
                tracing::debug!(
                    issuer = %self.issuer,
                    keys = table.len(),
                    skipped,
                    "fetched the issuer's key set"
                );
                self.set_table(table);
                max_age
                    .unwrap_or(fetcher.refresh_default)
                    .clamp(fetcher.refresh_min, fetcher.refresh_max)
            }
            Err(reason) => {
                tracing::warn!(
                    issuer = %self.issuer,
                    %reason,
                    "fetching the issuer's key set failed; the keys fetched before stay in use"
                );
                // Discover again next time: the key set may have moved.
                if fetcher.discovery.is_some()
                    && let Ok(mut uri) = fetcher.jwks_uri.lock()
                {
                    *uri = None;
                }
                Duration::ZERO
            }
        }
    }

    /// Discovery when needed, then the key set.
    async fn fetch(
        &self,
        fetcher: &Fetcher,
    ) -> Result<(KeyTable, usize, Option<Duration>), String> {
        let known = fetcher.jwks_uri.lock().ok().and_then(|u| u.clone());
        let jwks_uri = match (known, &fetcher.discovery) {
            (Some(uri), _) => uri,
            (None, Some(discovery)) => {
                let uri = self.discover(fetcher, discovery).await?;
                if let Ok(mut slot) = fetcher.jwks_uri.lock() {
                    *slot = Some(uri.clone());
                }
                uri
            }
            (None, None) => return Err("no key set URL".into()),
        };
        fetcher.fetches.fetch_add(1, Ordering::Relaxed);
        let fetched = fetcher
            .client
            .get(&jwks_uri, MAX_RESPONSE_BYTES)
            .await
            .map_err(|e: FetchError| format!("key set: {e}"))?;
        let parsed = parse_set(&fetched.body, self.provider, &self.algorithms)
            .map_err(|e| format!("key set: {}", e.as_str()))?;
        Ok((parsed.table, parsed.skipped, fetched.max_age))
    }

    /// The discovery document's `jwks_uri`, once its `issuer` is checked.
    async fn discover(&self, fetcher: &Fetcher, url: &Uri) -> Result<Uri, String> {
        fetcher.fetches.fetch_add(1, Ordering::Relaxed);
        let fetched = fetcher
            .client
            .get(url, MAX_RESPONSE_BYTES)
            .await
            .map_err(|e| format!("discovery: {e}"))?;
        let doc: Value = serde_json::from_slice(&fetched.body)
            .map_err(|_| "discovery: not a JSON document".to_owned())?;
        match doc.get("issuer") {
            Some(Value::String(iss)) if *iss == *self.issuer => {}
            _ => return Err("discovery: the document's issuer is not the configured one".into()),
        }
        let Some(Value::String(jwks_uri)) = doc.get("jwks_uri") else {
            return Err("discovery: no jwks_uri".into());
        };
        check_url("jwks_uri", jwks_uri).map_err(|e| format!("discovery: {e}"))
    }
}

/// An issuer's key table as the verification pipeline's key source.
pub(crate) struct TableKeys<'a> {
    table: &'a KeyTable,
    provider: &'static CryptoProvider,
}

impl<'a> TableKeys<'a> {
    pub(crate) fn new(table: &'a KeyTable, provider: &'static CryptoProvider) -> Self {
        Self { table, provider }
    }
}

impl KeySource for TableKeys<'_> {
    fn provider(&self) -> &CryptoProvider {
        self.provider
    }

    fn accepts(&self, alg: Algorithm) -> bool {
        self.table.accepts(alg)
    }

    fn select(&self, kid: Option<&str>, alg: Algorithm) -> Result<&VerifyKey, JwtError> {
        match self.table.lookup(kid, alg) {
            Lookup::Found(key) => Ok(key),
            Lookup::WrongAlgorithm => Err(KeyError::WrongAlgorithm.into_error()),
            Lookup::Ambiguous => Err(KeyError::KidRequired.into_error()),
            Lookup::Unknown => Err(KeyError::UnknownKid.into_error()),
        }
    }
}

/// The default client, when the `jwks-https` feature provides one.
fn default_client() -> Result<HttpClient, ConfigError> {
    #[cfg(feature = "jwks-https")]
    {
        HttpClient::https()
    }
    #[cfg(not(feature = "jwks-https"))]
    {
        Err(bad(
            "no HTTP client: enable the `jwks-https` feature or give one with `Issuer::http_client`",
        ))
    }
}

/// The background refresh: now, then as the key set's `max-age` says (within bounds);
/// after a failure, again after the cooldown, doubling up to the minimum interval. It
/// holds the keys weakly and ends when the manager is gone.
async fn background(keys: Weak<IssuerKeys>) {
    let mut delay = Duration::ZERO;
    let mut failures: u32 = 0;
    loop {
        tokio::time::sleep(delay).await;
        let Some(keys) = keys.upgrade() else { return };
        let Some(fetcher) = &keys.fetcher else { return };
        let mut attempt = fetcher.flight.lock().await;
        // A lookup may have refreshed meanwhile: then wait out its interval instead.
        let fresh = attempt
            .at
            .filter(|_| attempt.ok)
            .map(|at| at.elapsed())
            .filter(|age| *age < fetcher.refresh_min);
        let next = match fresh {
            Some(age) => fetcher.refresh_min - age,
            None => keys.refresh(fetcher, &mut attempt).await,
        };
        delay = if attempt.ok {
            failures = 0;
            next
        } else {
            failures = failures.saturating_add(1);
            let backoff = fetcher
                .cooldown
                .max(Duration::from_secs(1))
                .saturating_mul(1 << failures.min(16).saturating_sub(1));
            backoff.min(fetcher.refresh_min)
        };
    }
}
