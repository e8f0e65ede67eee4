//! Tokens from OpenID Connect issuers (Auth0, Keycloak, Cognito, Entra ID, Google, Okta,
//! ...): an [`Issuer`] names the issuer and where its public keys are (OpenID Connect
//! discovery, a JWKS URL or a static JWK Set), and which tokens of it a service accepts
//! (audience, algorithms).
//!
//! The issuer's key set is fetched through an [`HttpClient`], kept, and refreshed in the
//! background as its `Cache-Control: max-age` says (within the issuer's bounds). A token
//! naming a key id (`kid`) the set does not have triggers one re-fetch, at most once per
//! cooldown: the requests that arrive meanwhile wait for that same fetch, while requests
//! with known keys never wait. The keys already fetched keep working while the issuer is
//! unreachable, slow, or answers garbage; a token whose key cannot be had is answered 503.
//!
//! The rules that matter, all enforced:
//!
//! - only `https` URLs (plain `http` for loopback hosts alone, for tests); the discovery
//!   document's `issuer` must equal the configured issuer exactly (no trailing-slash or
//!   case normalisation), as must every token's `iss`;
//! - an audience is required (RFC 8725 §3.9): an issuer signs tokens for many services;
//! - keys: RSA, EC P-256/P-384 and Ed25519 only, each pinned to one algorithm (the JWK's
//!   `alg`, else the one of its type), intersected with the issuer's allowed algorithms;
//!   `oct` and `none` are never used, nor a key with private members;
//! - a token's `jku`, `x5u` and `jwk` headers are never followed: the keys come from the
//!   configuration alone;
//! - fetched bodies are capped at [`MAX_RESPONSE_BYTES`], and each refresh (discovery plus
//!   key set) is bounded by the issuer's timeout.
//!
//! ```
//! use std::time::Duration;
//! use jwt_extended::{Algorithm, Issuer};
//!
//! // Keycloak: discovery at <issuer>/.well-known/openid-configuration.
//! let keycloak = Issuer::discover("https://sso.example.com/realms/main")
//!     .audience(["orders-api"])
//!     .algorithms([Algorithm::RS256]);
//!
//! // Auth0: the issuer ends with a slash, and so do its tokens' `iss`.
//! let auth0 = Issuer::discover("https://example.eu.auth0.com/")
//!     .audience(["https://api.example.com"])
//!     .unknown_kid_cooldown(Duration::from_secs(30));
//!
//! // A key set at a known URL, without discovery.
//! let direct = Issuer::with_jwks_url(
//!     "https://issuer.example.com",
//!     "https://issuer.example.com/keys",
//! )
//! .audience(["orders-api"]);
//! # let _ = (keycloak, auth0, direct);
//! ```

mod http;
pub(crate) mod keys;

pub use self::http::{HttpClient, MAX_RESPONSE_BYTES};

use std::fmt;
use std::time::Duration;

use jsonwebtoken::Algorithm;

/// Where an issuer's keys come from.
#[derive(Clone)]
pub(crate) enum Source {
    /// `<issuer>/.well-known/openid-configuration` → `jwks_uri`.
    Discovery,
    /// A JWK Set URL.
    JwksUrl(String),
    /// A JWK Set given in the configuration (never fetched).
    Static(String),
}

/// An external token issuer: its `iss`, where its keys are, and which of its tokens are
/// accepted. See the [module docs](crate::issuer).
///
/// Add it to a manager with `JwtManagerBuilder::issuer`; the manager's own settings
/// (audience, algorithms, leeway aside) do not apply to it, and its settings do not apply
/// to the manager's own tokens.
#[derive(Clone)]
#[must_use]
pub struct Issuer {
    pub(crate) issuer: String,
    pub(crate) source: Source,
    pub(crate) audience: Vec<String>,
    pub(crate) algorithms: Vec<Algorithm>,
    pub(crate) cooldown: Duration,
    pub(crate) refresh_default: Duration,
    pub(crate) refresh_min: Duration,
    pub(crate) refresh_max: Duration,
    pub(crate) timeout: Duration,
    pub(crate) client: Option<HttpClient>,
}

impl fmt::Debug for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match &self.source {
            Source::Discovery => "discovery",
            Source::JwksUrl(_) => "jwks url",
            Source::Static(_) => "static",
        };
        f.debug_struct("Issuer")
            .field("issuer", &self.issuer)
            .field("source", &source)
            .field("audience", &self.audience)
            .field("algorithms", &self.algorithms)
            .field("cooldown", &self.cooldown)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// The asymmetric algorithms: the default set an issuer's keys may use.
const ASYMMETRIC: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

impl Issuer {
    fn new(issuer: String, source: Source) -> Self {
        Self {
            issuer,
            source,
            audience: Vec::new(),
            algorithms: ASYMMETRIC.to_vec(),
            cooldown: Duration::from_secs(10),
            refresh_default: Duration::from_secs(15 * 60),
            refresh_min: Duration::from_secs(60),
            refresh_max: Duration::from_secs(24 * 60 * 60),
            timeout: Duration::from_secs(5),
            client: None,
        }
    }

    /// An OpenID Connect issuer: its keys are at the `jwks_uri` of
    /// `<issuer>/.well-known/openid-configuration`, whose `issuer` must be `issuer`
    /// exactly. Tokens must carry `iss` equal to `issuer`, byte for byte.
    pub fn discover(issuer: impl Into<String>) -> Self {
        Self::new(issuer.into(), Source::Discovery)
    }

    /// An issuer whose key set is at `jwks_url` (no discovery).
    pub fn with_jwks_url(issuer: impl Into<String>, jwks_url: impl Into<String>) -> Self {
        Self::new(issuer.into(), Source::JwksUrl(jwks_url.into()))
    }

    /// An issuer with a fixed JWK Set (JSON text `{"keys": [...]}`), never fetched. The
    /// set must hold at least one usable key, or the manager is not built.
    pub fn with_jwk_set(issuer: impl Into<String>, jwk_set_json: impl Into<String>) -> Self {
        Self::new(issuer.into(), Source::Static(jwk_set_json.into()))
    }

    /// The audiences a token must name (its `aud`, a string or an array, must contain one
    /// of them). Required.
    pub fn audience<S: Into<String>>(mut self, audiences: impl IntoIterator<Item = S>) -> Self {
        self.audience = audiences.into_iter().map(Into::into).collect();
        self
    }

    /// The algorithms accepted from this issuer (default: every asymmetric one; each key is
    /// pinned to its own). Symmetric (`HS*`) algorithms are refused at build time.
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = algorithms.into_iter().collect();
        self
    }

    /// How long after a fetch an unknown `kid` answers without fetching again (default
    /// 10 s): at most one fetch per cooldown, whatever the number of unknown `kid`s.
    pub fn unknown_kid_cooldown(mut self, cooldown: Duration) -> Self {
        self.cooldown = cooldown;
        self
    }

    /// How often the key set is refreshed: `default` when the response has no
    /// `Cache-Control: max-age` (default 15 min), and a `max-age` is kept within `min`
    /// (default 1 min) and `max` (default 24 h).
    pub fn refresh_interval(mut self, default: Duration, min: Duration, max: Duration) -> Self {
        self.refresh_default = default;
        self.refresh_min = min;
        self.refresh_max = max;
        self
    }

    /// The most one refresh (discovery document and key set) may take (default 5 s). A
    /// request waiting for a key waits at most this long, then gets a 503.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The HTTP client to fetch with (default: [`HttpClient::https`] with the `jwks-https`
    /// feature; without it, a client must be given).
    pub fn http_client(mut self, client: HttpClient) -> Self {
        self.client = Some(client);
        self
    }

    /// The issuer (the `iss` its tokens carry).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }
}

#[cfg(all(test, any(feature = "aws-lc-rs", feature = "rust-crypto")))]
mod tests;
