//! [`JwtManager`]: the hub every layer and guard works from, and its builder.
//!
//! The manager holds its settings by concern, each built once by
//! [`JwtManagerBuilder::build`] and private to this module:
//!
//! | concern | type | defined in |
//! |---|---|---|
//! | verification | the verifier (decode settings, keys, header memo) | `decode.rs`, `keys.rs` |
//! | creation | the issuer (creation settings, signing key, clock, loaders) | `token.rs` |
//! | where tokens are read | the request settings (locations, CSRF) | `locations/` |
//! | error answers | the [`ErrorResponder`] | `response.rs` |
//! | callbacks | claims verifier, user loader | `callbacks.rs` |
//! | revocation | store, blocklist, skew margin, rotation | `manager/revocation.rs` |
//! | verified tokens | the token cache | `cache.rs` |
//!
//! The files of this module: `builder.rs` (options and `build()`), `env.rs` (the `JWT_*`
//! variables), `revocation.rs` (revoking, rotating, and the revocation check every guard
//! runs) and `set_cookies.rs` (the `Set-Cookie` helpers of cookie apps).

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use jsonwebtoken::jwk::JwkSet;

use crate::cache::TokenCache;
use crate::callbacks::GuardCallbacks;
use crate::claims::{DecodedToken, TokenType};
use crate::clock::Clock;
use crate::decode::{Expiry, Now, Verifier};
use crate::error::JwtError;
use crate::locations::{RequestSettings, TokenLocation};
use crate::response::{ErrorResponder, error_answer};
use crate::telemetry;
use crate::token::{Identity, Issuer, TokenBuilder, TokenPairBuilder};

mod builder;
mod env;
#[cfg(feature = "jwks")]
mod issuers;
mod revocation;
mod set_cookies;

pub use builder::JwtManagerBuilder;
use revocation::RevocationConfig;
pub use set_cookies::{CookieOverrides, JwtCookies};

/// Creates and verifies tokens the way Flask-JWT-Extended does; the hub every layer and
/// guard of this crate works from.
///
/// Cheap to clone (one `Arc`). Build it once with [`JwtManager::builder`].
///
/// ```
/// use jwt_extended::JwtManager;
///
/// let manager = JwtManager::builder()
///     .secret("an-example-secret-of-at-least-32-bytes!")
///     .build()?;
///
/// let access = manager.create_access_token("alice")?;
/// let decoded = manager.decode_token(&access)?;
/// assert_eq!(decoded.subject(), Some("alice"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct JwtManager {
    inner: Arc<Inner>,
}

struct Inner {
    verifier: Verifier,
    issuer: Issuer,
    clock: Arc<dyn Clock>,
    requests: RequestSettings,
    responder: Arc<dyn ErrorResponder>,
    callbacks: GuardCallbacks,
    revocation: RevocationConfig,
    cache: Option<TokenCache>,
    /// External issuers whose tokens this manager accepts too.
    #[cfg(feature = "jwks")]
    issuers: issuers::Issuers,
}

impl fmt::Debug for JwtManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        let keys = &inner.verifier.keys;
        f.debug_struct("JwtManager")
            .field("algorithm", &keys.primary.algorithm)
            .field("keys", &(1 + keys.by_kid.len()))
            .field("access_expires", &inner.issuer.access_expires)
            .field("refresh_expires", &inner.issuer.refresh_expires)
            .field("identity_claim", &inner.issuer.identity_claim)
            .field("leeway", &inner.verifier.config.leeway)
            .field("locations", &inner.requests.order)
            .field("revocation_store", &inner.revocation.store)
            .finish_non_exhaustive()
    }
}

/// Creation.
impl JwtManager {
    /// A builder with Flask-JWT-Extended's defaults.
    pub fn builder() -> JwtManagerBuilder {
        JwtManagerBuilder::default()
    }

    /// Creates an access token for `identity` with the configured defaults (not fresh,
    /// `JWT_ACCESS_TOKEN_EXPIRES`).
    pub fn create_access_token(&self, identity: impl Identity) -> Result<String, JwtError> {
        self.access_token(identity).create()
    }

    /// Creates a refresh token for `identity` with the configured defaults.
    pub fn create_refresh_token(&self, identity: impl Identity) -> Result<String, JwtError> {
        self.refresh_token(identity).create()
    }

    /// Starts an access token with per-token options (fresh, expiry, claims, headers).
    pub fn access_token(&self, identity: impl Identity) -> TokenBuilder<'_> {
        self.inner
            .issuer
            .token(identity.identity(), TokenType::Access)
    }

    /// Starts a refresh token with per-token options (expiry, claims, headers).
    pub fn refresh_token(&self, identity: impl Identity) -> TokenBuilder<'_> {
        self.inner
            .issuer
            .token(identity.identity(), TokenType::Refresh)
    }

    /// Starts an access and a refresh token issued together: they share a `pair` id, so
    /// [`revoke_pair`](Self::revoke_pair) revokes both, and, when refresh rotation is on, a
    /// rotation `family`.
    ///
    /// ```
    /// use jwt_extended::{JwtManager, store::MemoryStore};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let manager = JwtManager::builder()
    ///     .secret("an-example-secret-of-at-least-32-bytes!")
    ///     .revocation_store(MemoryStore::new())
    ///     .build()?;
    /// let pair = manager.token_pair("alice").fresh(true).claim("is_admin", false).create()?;
    /// let access = manager.decode_token(&pair.access_token)?;
    /// manager.revoke_pair(&access).await?; // the refresh token is revoked too
    /// # Ok(())
    /// # }
    /// ```
    pub fn token_pair(&self, identity: impl Identity) -> TokenPairBuilder<'_> {
        self.inner.issuer.pair(identity.identity())
    }

    /// The name of the identity claim (`sub` by default).
    pub fn identity_claim(&self) -> &str {
        &self.inner.issuer.identity_claim
    }

    /// What new tokens are made from, for the layers that re-issue tokens.
    pub(crate) fn issuer(&self) -> &Issuer {
        &self.inner.issuer
    }
}

/// Verification.
impl JwtManager {
    /// Verifies a token: size, shape, algorithm, key (`kid`), signature, then the claims
    /// (`iat`, `nbf`, `exp` with leeway, `iss`, `aud`, `sub`, `jti`, the identity claim).
    ///
    /// Like Flask-JWT-Extended's `decode_token`, it checks neither the token type, nor
    /// freshness, nor the blocklist: the guards do.
    ///
    /// A token of an external issuer (`JwtManagerBuilder::issuer`, feature `jwks`) is
    /// verified with that issuer's keys as they are now: this synchronous call never fetches
    /// (the guards do, when a token names a key the issuer's set does not have yet).
    pub fn decode_token(&self, token: &str) -> Result<DecodedToken, JwtError> {
        #[cfg(feature = "jwks")]
        if let Some(result) = self.decode_external(token, Expiry::Enforce) {
            return result.map_err(|e| self.answered(e));
        }
        self.inner
            .verifier
            .decode(token, self.now(), Expiry::Enforce)
            .map_err(|e| self.answered(e))
    }

    /// As [`decode_token`](Self::decode_token), but an expired token is returned rather than
    /// refused (FJE's `allow_expired=True`). Every other check still applies.
    pub fn decode_token_allow_expired(&self, token: &str) -> Result<DecodedToken, JwtError> {
        #[cfg(feature = "jwks")]
        if let Some(result) = self.decode_external(token, Expiry::Allow) {
            return result.map_err(|e| self.answered(e));
        }
        self.inner
            .verifier
            .decode(token, self.now(), Expiry::Allow)
            .map_err(|e| self.answered(e))
    }

    /// The verified-token cache's answer for `token`, its bytes as sent, at `now` (`None`:
    /// no cache, or not in it). The bytes need no check of their own: a hit means they
    /// are exactly the text of a token that passed a full verification.
    pub(crate) fn cached(
        &self,
        token: &[u8],
        now: Now,
    ) -> Option<Result<Arc<DecodedToken>, JwtError>> {
        let cache = self.inner.cache.as_ref()?;
        let hit = cache.get(token, now.secs, self.inner.verifier.config.leeway)?;
        // An external issuer's token is answered from the cache only while the issuer
        // still publishes the key that verified it.
        #[cfg(feature = "jwks")]
        if let Ok(decoded) = &hit
            && decoded.external
            && !self.inner.issuers.still_published(decoded)
        {
            return None;
        }
        telemetry::token_cache(true);
        Some(hit)
    }

    /// Verifies a token for the guards at `now`, through the verified-token cache; the flag
    /// says whether the cache answered (`None` without a cache).
    pub(crate) async fn verify_shared(
        &self,
        token: &str,
        now: Now,
    ) -> (Result<Arc<DecodedToken>, JwtError>, Option<bool>) {
        match self.cached(token.as_bytes(), now) {
            Some(hit) => (hit, Some(true)),
            None => self.verify_missed(token, now).await,
        }
    }

    /// [`verify_shared`](Self::verify_shared) for a token the cache has just been asked
    /// about and does not hold: verified in full (an external issuer's token routed by
    /// `iss`, its keys fetched when needed), then offered to the cache.
    pub(crate) async fn verify_missed(
        &self,
        token: &str,
        now: Now,
    ) -> (Result<Arc<DecodedToken>, JwtError>, Option<bool>) {
        let cache = self.inner.cache.as_ref();
        let hit = cache.map(|_| {
            telemetry::token_cache(false);
            false
        });
        #[cfg(feature = "jwks")]
        let decoded = match self.inner.issuers.route(token, &self.inner.verifier.config) {
            // Boxed: the key fetch's state is large, and the guards' futures, which hold this
            // one, are moved on every request, even when the cache answers.
            Some(external) => Box::pin(external.decode_fetching(self, token, now)).await,
            None => self.inner.verifier.decode(token, now, Expiry::Enforce),
        };
        #[cfg(not(feature = "jwks"))]
        let decoded = self.inner.verifier.decode(token, now, Expiry::Enforce);
        let decoded = match decoded {
            Ok(decoded) => Arc::new(decoded),
            Err(e) => return (Err(e), hit),
        };
        if let Some(cache) = cache {
            cache.insert(token, &decoded, now.secs);
        }
        (Ok(decoded), hit)
    }

    /// The JWK Set of the public keys that verify this manager's own tokens: the current
    /// key and every verification key, each with `kid`, `alg` and `use: "sig"`, never a
    /// private member. An HMAC secret has no public form: the set is then empty. Serve it
    /// with [`jwks_service`](Self::jwks_service).
    ///
    /// An asymmetric key configured without a `kid` is named by its RFC 7638 thumbprint,
    /// and the tokens it signs carry that `kid`.
    ///
    /// ```
    /// use jwt_extended::{Algorithm, JwtManager, Key};
    ///
    /// # let pem = |name: &str| std::fs::read(format!("{}/tests/fixtures/keys/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    /// let manager = JwtManager::builder()
    ///     .key(Key::from_pem(Algorithm::RS256, pem("rsa_private.pem"), pem("rsa_public.pem"))?.with_kid("2026-12"))
    ///     .build()?;
    /// let set = manager.jwks();
    /// assert_eq!(set.keys.len(), 1);
    /// assert_eq!(set.keys[0].common.key_id.as_deref(), Some("2026-12"));
    /// let token = manager.create_access_token("alice")?;
    /// assert_eq!(manager.decode_token(&token)?.kid(), Some("2026-12"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn jwks(&self) -> JwkSet {
        self.inner.verifier.keys.published.set.clone()
    }

    /// The JWK Set as served (JSON).
    pub(crate) fn jwks_json(&self) -> Bytes {
        self.inner.verifier.keys.published.json.clone()
    }

    /// The configured leeway in seconds.
    pub fn leeway(&self) -> u64 {
        self.inner.verifier.config.leeway
    }

    pub(crate) fn now(&self) -> Now {
        Now {
            secs: self.inner.clock.now().as_secs(),
        }
    }

    /// The current time of the manager's clock, in seconds since the epoch (fractional).
    pub(crate) fn now_f64(&self) -> f64 {
        self.inner.clock.now().as_secs_f64()
    }
}

/// Requests: where tokens are found, what the guards run, how errors are answered.
impl JwtManager {
    /// The default token locations (`JWT_TOKEN_LOCATION`).
    pub fn token_locations(&self) -> &[TokenLocation] {
        &self.inner.requests.order
    }

    /// The response the manager's [`ErrorResponder`] gives `error`, as the guards answer it;
    /// a creation failure is a `500 Internal Server Error` without detail (its message is
    /// logged). The body is `http_body_util::Full<Bytes>`, so the response is usable
    /// directly in axum (`IntoResponse`) and hyper handlers. In axum, a `JwtError` is itself
    /// `IntoResponse`, so `?` works in a handler returning `Result<_, JwtError>`.
    pub fn error_response(&self, error: &JwtError) -> http::Response<Full<Bytes>> {
        error_answer(error, Some(&*self.inner.responder)).map(Full::new)
    }

    /// `error`, answered by this manager's error responder when it is turned into a response.
    pub(crate) fn answered(&self, error: JwtError) -> JwtError {
        self.inner.issuer.answered(error)
    }

    /// Where and how tokens are read from requests.
    pub(crate) fn requests(&self) -> &RequestSettings {
        &self.inner.requests
    }

    /// The responder of the guards' rejections.
    pub(crate) fn responder(&self) -> &Arc<dyn ErrorResponder> {
        &self.inner.responder
    }

    /// The callbacks the guards run after the built-in checks.
    pub(crate) fn callbacks(&self) -> &GuardCallbacks {
        &self.inner.callbacks
    }

    /// Whether `other` is this very manager (a clone of it), not merely an equal one.
    pub(crate) fn is(&self, other: &JwtManager) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}
