//! [`JwtManager`] and its builder: configuration, token creation and verification.

use std::fmt;
use std::sync::Arc;

use jsonwebtoken::Algorithm;
use time::Duration;

use crate::cache::TokenCache;
use crate::callbacks::{
    AdditionalClaims, AdditionalHeaders, Blocklist, ClaimsVerifier, Erased, ErasedUserLoader,
    UserLoader,
};
use crate::claims::{DecodedToken, TokenType};
use crate::clock::{Clock, SystemClock};
use crate::decode::{self, DecodeConfig, Now};
use crate::error::{ConfigError, JwtError};
use crate::keys::{Key, KeySet, crypto_provider};
use crate::layer::JwtLayer;
use crate::locations::cookie::SameSite;
use crate::locations::{
    CookieConfig, CsrfConfig, HeaderConfig, JsonConfig, QueryConfig, TokenLocation,
};
use crate::response::{DefaultErrorResponder, ErrorResponder, ErrorStyle};
use crate::store::RevocationStore;
use crate::token::{Audience, Identity, TokenBuilder};

/// The maximum leeway accepted by the builder, in seconds.
pub const MAX_LEEWAY_SECS: u64 = 300;

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

pub(crate) struct Inner {
    pub(crate) keys: KeySet,
    pub(crate) decode: DecodeConfig,
    pub(crate) create: CreateConfig,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) additional_claims: Option<Arc<dyn AdditionalClaims>>,
    pub(crate) additional_headers: Option<Arc<dyn AdditionalHeaders>>,
    pub(crate) guard: GuardConfig,
    pub(crate) cache: Option<TokenCache>,
}

/// What the guards need: locations, callbacks, the store and the responder.
pub(crate) struct GuardConfig {
    pub(crate) locations: Arc<[TokenLocation]>,
    pub(crate) header: HeaderConfig,
    pub(crate) cookies: CookieConfig,
    pub(crate) csrf: CsrfConfig,
    pub(crate) query: QueryConfig,
    pub(crate) json: JsonConfig,
    pub(crate) responder: Arc<dyn ErrorResponder>,
    pub(crate) user_loader: Option<Arc<dyn ErasedUserLoader>>,
    pub(crate) blocklist: Option<Arc<dyn Blocklist>>,
    pub(crate) claims_verifier: Option<Arc<dyn ClaimsVerifier>>,
    pub(crate) store: Option<Arc<dyn RevocationStore>>,
    pub(crate) skew_margin: u64,
    /// Refresh rotation: `Some(overlap seconds)` when on.
    pub(crate) rotation: Option<u64>,
}

pub(crate) struct CreateConfig {
    pub(crate) access_expires: Option<Duration>,
    pub(crate) refresh_expires: Option<Duration>,
    pub(crate) identity_claim: Arc<str>,
    pub(crate) encode_nbf: bool,
    pub(crate) encode_audience: Option<Audience>,
    pub(crate) encode_issuer: Option<String>,
    pub(crate) csrf_protect: bool,
    pub(crate) require_exp: bool,
}

impl fmt::Debug for JwtManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("JwtManager")
            .field("algorithm", &inner.keys.primary.algorithm)
            .field("keys", &(1 + inner.keys.by_kid.len()))
            .field("access_expires", &inner.create.access_expires)
            .field("refresh_expires", &inner.create.refresh_expires)
            .field("identity_claim", &inner.create.identity_claim)
            .field("leeway", &inner.decode.leeway)
            .field("locations", &inner.guard.locations)
            .field("revocation_store", &inner.guard.store)
            .finish_non_exhaustive()
    }
}

impl JwtManager {
    /// A builder with Flask-JWT-Extended's defaults.
    pub fn builder() -> JwtManagerBuilder {
        JwtManagerBuilder::default()
    }

    pub(crate) fn inner(&self) -> &Inner {
        &self.inner
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
        TokenBuilder::new(self, identity.identity(), TokenType::Access)
    }

    /// Starts a refresh token with per-token options (expiry, claims, headers).
    pub fn refresh_token(&self, identity: impl Identity) -> TokenBuilder<'_> {
        TokenBuilder::new(self, identity.identity(), TokenType::Refresh)
    }

    /// Verifies a token: size, shape, algorithm, key (`kid`), signature, then the claims
    /// (`iat`, `nbf`, `exp` with leeway, `iss`, `aud`, `sub`, `jti`, the identity claim).
    ///
    /// Like Flask-JWT-Extended's `decode_token`, it checks neither the token type, nor
    /// freshness, nor the blocklist: the guards do.
    pub fn decode_token(&self, token: &str) -> Result<DecodedToken, JwtError> {
        decode::decode(
            token,
            &self.inner.decode,
            &self.inner.keys,
            self.now(),
            false,
        )
    }

    /// As [`decode_token`](Self::decode_token), but an expired token is returned rather than
    /// refused (FJE's `allow_expired=True`). Every other check still applies.
    pub fn decode_token_allow_expired(&self, token: &str) -> Result<DecodedToken, JwtError> {
        decode::decode(
            token,
            &self.inner.decode,
            &self.inner.keys,
            self.now(),
            true,
        )
    }

    /// A new token for the same identity with the same application claims (and the
    /// crate's `pair`/`family` claims) as `token`.
    pub(crate) fn reissue(&self, token: &DecodedToken, token_type: TokenType) -> TokenBuilder<'_> {
        let mut builder = TokenBuilder::new(self, token.identity().clone(), token_type);
        for (name, value) in self.application_claims(token) {
            builder = builder.claim(name.clone(), value);
        }
        for name in ["pair", "family"] {
            if let Some(v) = token.claim(name) {
                builder = builder.internal_claim(name, v.clone());
            }
        }
        builder
    }

    /// The claims of `token` the application set (not the registered or reserved ones), to
    /// carry over into tokens re-issued from it.
    pub(crate) fn application_claims<'t>(
        &self,
        token: &'t DecodedToken,
    ) -> impl Iterator<Item = (&'t String, &'t serde_json::Value)> {
        let identity_claim = self.inner.create.identity_claim.clone();
        token.claims().iter().filter(move |(name, _)| {
            !(crate::token::RESERVED.contains(&name.as_str())
                || **name == *identity_claim
                || *name == "aud"
                || *name == "iss")
        })
    }

    /// Refuses a token size cap that the manager's own smallest refresh token (no
    /// application claims) would not fit in: such a manager would refuse every token it
    /// mints. Nothing is checked for verification-only managers.
    fn check_token_size(&self, max: usize) -> Result<(), ConfigError> {
        if self.inner.keys.signing.is_none() {
            return Ok(());
        }
        let probe = TokenBuilder::new(
            self,
            serde_json::Value::String("probe".into()),
            TokenType::Refresh,
        )
        .without_loaders()
        .with_probe_expiry()
        .create()
        .map_err(|e| ConfigError::InvalidOption {
            option: "max_token_len",
            reason: format!("a probe token could not be created: {e}"),
        })?;
        if probe.len() > max {
            return Err(ConfigError::InvalidOption {
                option: "max_token_len",
                reason: format!(
                    "{max} bytes is less than this manager's own tokens need (at least {})",
                    probe.len()
                ),
            });
        }
        Ok(())
    }

    /// Verifies a token for the guards, through the verified-token cache.
    pub(crate) fn decode_shared(&self, token: &str) -> Result<Arc<DecodedToken>, JwtError> {
        let Some(cache) = &self.inner.cache else {
            return self.decode_token(token).map(Arc::new);
        };
        let now = self.now();
        if let Some(hit) = cache.get(token, now.secs, self.inner.decode.leeway) {
            return hit;
        }
        let decoded = Arc::new(decode::decode(
            token,
            &self.inner.decode,
            &self.inner.keys,
            now,
            false,
        )?);
        cache.insert(token, decoded.clone(), now.secs);
        Ok(decoded)
    }

    /// A [`JwtLayer`] adding this manager to every request, for the guards.
    pub fn layer(&self) -> JwtLayer {
        JwtLayer::new(self.clone())
    }

    /// The default token locations (`JWT_TOKEN_LOCATION`).
    pub fn token_locations(&self) -> &[TokenLocation] {
        &self.inner.guard.locations
    }

    /// The response the manager's [`ErrorResponder`] gives `error`.
    pub fn error_response(&self, error: &JwtError) -> http::Response<bytes::Bytes> {
        self.inner.guard.responder.respond(error)
    }

    pub(crate) fn now(&self) -> Now {
        Now {
            secs: self.inner.clock.now().as_secs(),
        }
    }

    /// The current time of the manager's clock, in seconds since the epoch (fractional).
    pub fn now_f64(&self) -> f64 {
        self.inner.clock.now().as_secs_f64()
    }

    /// The configured leeway in seconds.
    pub fn leeway(&self) -> u64 {
        self.inner.decode.leeway
    }

    /// The name of the identity claim (`sub` by default).
    pub fn identity_claim(&self) -> &str {
        &self.inner.create.identity_claim
    }
}

/// Builds a [`JwtManager`]. Every option defaults to Flask-JWT-Extended's default and is
/// checked by [`build`](Self::build).
///
/// ```
/// use jwt_extended::{Algorithm, JwtManager};
/// use time::Duration;
///
/// let manager = JwtManager::builder()
///     .algorithm(Algorithm::HS512)
///     .secret("a-much-longer-example-secret-because-hs512-wants-64-bytes-of-key!!")
///     .access_expires(Duration::minutes(5))
///     .refresh_expires(Duration::days(7))
///     .decode_audience(["api"])
///     .encode_audience("api")
///     .leeway(10)
///     .build()?;
/// # Ok::<(), jwt_extended::ConfigError>(())
/// ```
#[must_use]
pub struct JwtManagerBuilder {
    algorithm: Algorithm,
    secret: Option<Vec<u8>>,
    private_pem: Option<Vec<u8>>,
    public_pem: Option<Vec<u8>>,
    key: Option<Key>,
    verification_keys: Vec<Key>,
    decode_algorithms: Vec<Algorithm>,
    access_expires: Option<Duration>,
    refresh_expires: Option<Duration>,
    accept_non_expiring: bool,
    identity_claim: String,
    encode_nbf: bool,
    encode_audience: Option<Audience>,
    encode_issuer: Option<String>,
    decode_audience: Option<Vec<String>>,
    decode_issuer: Option<String>,
    leeway: u64,
    verify_sub: bool,
    csrf_protect: bool,
    max_token_len: usize,
    clock: Arc<dyn Clock>,
    additional_claims: Option<Arc<dyn AdditionalClaims>>,
    additional_headers: Option<Arc<dyn AdditionalHeaders>>,
    locations: Vec<TokenLocation>,
    header_name: String,
    header_type: String,
    cookie: CookieOptions,
    query_string_name: String,
    query_string_prefix: String,
    json_key: String,
    refresh_json_key: String,
    error_key: String,
    error_style: ErrorStyle,
    responder: Option<Arc<dyn ErrorResponder>>,
    user_loader: Option<Arc<dyn ErasedUserLoader>>,
    blocklist: Option<Arc<dyn Blocklist>>,
    claims_verifier: Option<Arc<dyn ClaimsVerifier>>,
    store: Option<Arc<dyn RevocationStore>>,
    skew_margin: u64,
    rotation: Option<u64>,
    cache_capacity: usize,
}

impl fmt::Debug for JwtManagerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtManagerBuilder")
            .field("algorithm", &self.algorithm)
            .field("secret", &self.secret.as_ref().map(|_| "[redacted]"))
            .field(
                "private_pem",
                &self.private_pem.as_ref().map(|_| "[redacted]"),
            )
            .field("access_expires", &self.access_expires)
            .field("refresh_expires", &self.refresh_expires)
            .finish_non_exhaustive()
    }
}

impl Default for JwtManagerBuilder {
    fn default() -> Self {
        Self {
            algorithm: Algorithm::HS256,
            secret: None,
            private_pem: None,
            public_pem: None,
            key: None,
            verification_keys: Vec::new(),
            decode_algorithms: Vec::new(),
            access_expires: Some(Duration::minutes(15)),
            refresh_expires: Some(Duration::days(30)),
            accept_non_expiring: false,
            identity_claim: "sub".into(),
            encode_nbf: true,
            encode_audience: None,
            encode_issuer: None,
            decode_audience: None,
            decode_issuer: None,
            leeway: 0,
            verify_sub: true,
            csrf_protect: true,
            max_token_len: 8 * 1024,
            clock: Arc::new(SystemClock),
            additional_claims: None,
            additional_headers: None,
            locations: vec![TokenLocation::Headers],
            header_name: "Authorization".into(),
            header_type: "Bearer".into(),
            cookie: CookieOptions::default(),
            query_string_name: "jwt".into(),
            query_string_prefix: String::new(),
            json_key: "access_token".into(),
            refresh_json_key: "refresh_token".into(),
            error_key: "msg".into(),
            error_style: ErrorStyle::Flask,
            responder: None,
            user_loader: None,
            blocklist: None,
            claims_verifier: None,
            store: None,
            skew_margin: 60,
            rotation: None,
            cache_capacity: 10_000,
        }
    }
}

impl JwtManagerBuilder {
    /// The signing algorithm (`JWT_ALGORITHM`). Defaults to `HS256`.
    pub fn algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// The HMAC secret (`JWT_SECRET_KEY`), for HS256/384/512. At least 32/48/64 bytes.
    pub fn secret(mut self, secret: impl AsRef<[u8]>) -> Self {
        self.secret = Some(secret.as_ref().to_vec());
        self
    }

    /// The PEM private key (`JWT_PRIVATE_KEY`), for asymmetric algorithms.
    pub fn private_key_pem(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.private_pem = Some(pem.as_ref().to_vec());
        self
    }

    /// The PEM public key (`JWT_PUBLIC_KEY`), for asymmetric algorithms.
    pub fn public_key_pem(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.public_pem = Some(pem.as_ref().to_vec());
        self
    }

    /// The current key, for signing and verifying (replaces `secret` / PEM options).
    /// Give it a `kid` to rotate keys.
    pub fn key(mut self, key: Key) -> Self {
        self.key = Some(key);
        self
    }

    /// An additional verification key, selected by its `kid` (which it must have): a retired
    /// key whose tokens are still accepted, or another issuer's public key.
    pub fn verification_key(mut self, key: Key) -> Self {
        self.verification_keys.push(key);
        self
    }

    /// More algorithms accepted with the current key (`JWT_DECODE_ALGORITHMS`); they must be
    /// of the key's family. The signing algorithm is always accepted.
    pub fn decode_algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.decode_algorithms = algorithms.into_iter().collect();
        self
    }

    /// Lifetime of access tokens (`JWT_ACCESS_TOKEN_EXPIRES`). Defaults to 15 minutes.
    /// Zero or negative is a configuration error.
    pub fn access_expires(mut self, duration: Duration) -> Self {
        self.access_expires = Some(duration);
        self
    }

    /// Access tokens carry no `exp` (`JWT_ACCESS_TOKEN_EXPIRES = False`). Implies
    /// [`accept_non_expiring_tokens`](Self::accept_non_expiring_tokens).
    pub fn access_never_expires(mut self) -> Self {
        self.access_expires = None;
        self
    }

    /// Lifetime of refresh tokens (`JWT_REFRESH_TOKEN_EXPIRES`). Defaults to 30 days.
    pub fn refresh_expires(mut self, duration: Duration) -> Self {
        self.refresh_expires = Some(duration);
        self
    }

    /// Refresh tokens carry no `exp`. Implies
    /// [`accept_non_expiring_tokens`](Self::accept_non_expiring_tokens).
    pub fn refresh_never_expires(mut self) -> Self {
        self.refresh_expires = None;
        self
    }

    /// Accept tokens without an `exp` claim. Off by default: a token that never expires
    /// cannot be revoked for good, so it must be asked for (a deliberate deviation from
    /// Flask-JWT-Extended, which accepts them).
    pub fn accept_non_expiring_tokens(mut self, accept: bool) -> Self {
        self.accept_non_expiring = accept;
        self
    }

    /// The claim holding the identity (`JWT_IDENTITY_CLAIM`). Defaults to `sub`.
    pub fn identity_claim(mut self, name: impl Into<String>) -> Self {
        self.identity_claim = name.into();
        self
    }

    /// Write `nbf` (= `iat`) into new tokens (`JWT_ENCODE_NBF`). Defaults to `true`.
    pub fn encode_nbf(mut self, encode: bool) -> Self {
        self.encode_nbf = encode;
        self
    }

    /// The `aud` written into new tokens (`JWT_ENCODE_AUDIENCE`), one string.
    pub fn encode_audience(mut self, audience: impl Into<String>) -> Self {
        self.encode_audience = Some(Audience::One(audience.into()));
        self
    }

    /// The `aud` written into new tokens, as a list.
    pub fn encode_audiences<S: Into<String>>(
        mut self,
        audiences: impl IntoIterator<Item = S>,
    ) -> Self {
        self.encode_audience = Some(Audience::Many(
            audiences.into_iter().map(Into::into).collect(),
        ));
        self
    }

    /// The `iss` written into new tokens (`JWT_ENCODE_ISSUER`).
    pub fn encode_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.encode_issuer = Some(issuer.into());
        self
    }

    /// Accepted audiences (`JWT_DECODE_AUDIENCE`). When set, `aud` is required and one of
    /// its values must be in this list; when unset, `aud` is not checked.
    pub fn decode_audience<S: Into<String>>(
        mut self,
        audiences: impl IntoIterator<Item = S>,
    ) -> Self {
        self.decode_audience = Some(audiences.into_iter().map(Into::into).collect());
        self
    }

    /// The required issuer (`JWT_DECODE_ISSUER`). When set, `iss` is required and must equal it.
    pub fn decode_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.decode_issuer = Some(issuer.into());
        self
    }

    /// Leeway for `exp`, `nbf` and `iat`, in seconds (`JWT_DECODE_LEEWAY`). Defaults to 0;
    /// at most 300.
    pub fn leeway(mut self, seconds: u64) -> Self {
        self.leeway = seconds;
        self
    }

    /// Require a `sub` claim to be a string (`JWT_VERIFY_SUB`). Defaults to `true`.
    pub fn verify_sub(mut self, verify: bool) -> Self {
        self.verify_sub = verify;
        self
    }

    /// Double-submit CSRF protection for cookie tokens (`JWT_COOKIE_CSRF_PROTECT`); when on,
    /// every new token carries a `csrf` claim, as in Flask-JWT-Extended. Defaults to `true`.
    pub fn csrf_protect(mut self, protect: bool) -> Self {
        self.csrf_protect = protect;
        self
    }

    /// The largest token accepted, in bytes. Defaults to 8 KiB; larger tokens are refused
    /// before any decoding.
    pub fn max_token_len(mut self, bytes: usize) -> Self {
        self.max_token_len = bytes;
        self
    }

    /// The clock (defaults to [`SystemClock`]); tests pass a [`MockClock`](crate::MockClock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Extra claims for every new token, from the identity (`additional_claims_loader`).
    /// Claims given to a [`TokenBuilder`] win on conflict.
    pub fn additional_claims(mut self, loader: impl AdditionalClaims) -> Self {
        self.additional_claims = Some(Arc::new(loader));
        self
    }

    /// Extra headers for every new token, from the identity (`additional_headers_loader`).
    pub fn additional_headers(mut self, loader: impl AdditionalHeaders) -> Self {
        self.additional_headers = Some(Arc::new(loader));
        self
    }

    /// Where tokens are looked for, in order (`JWT_TOKEN_LOCATION`). Defaults to headers.
    pub fn token_locations(mut self, locations: impl IntoIterator<Item = TokenLocation>) -> Self {
        self.locations = locations.into_iter().collect();
        self
    }

    /// The header carrying the token (`JWT_HEADER_NAME`). Defaults to `Authorization`.
    pub fn header_name(mut self, name: impl Into<String>) -> Self {
        self.header_name = name.into();
        self
    }

    /// The scheme before the token in that header (`JWT_HEADER_TYPE`). Defaults to
    /// `Bearer`; empty means the bare token. Matched case-insensitively.
    pub fn header_type(mut self, scheme: impl Into<String>) -> Self {
        self.header_type = scheme.into();
        self
    }

    /// The query parameter carrying the token (`JWT_QUERY_STRING_NAME`). Defaults to `jwt`.
    pub fn query_string_name(mut self, name: impl Into<String>) -> Self {
        self.query_string_name = name.into();
        self
    }

    /// A prefix the query value must start with, removed before decoding
    /// (`JWT_QUERY_STRING_VALUE_PREFIX`). Defaults to none.
    pub fn query_string_value_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.query_string_prefix = prefix.into();
        self
    }

    /// The JSON key of access tokens in request bodies (`JWT_JSON_KEY`). Defaults to
    /// `access_token`.
    pub fn json_key(mut self, key: impl Into<String>) -> Self {
        self.json_key = key.into();
        self
    }

    /// The JSON key of refresh tokens in request bodies (`JWT_REFRESH_JSON_KEY`). Defaults
    /// to `refresh_token`.
    pub fn refresh_json_key(mut self, key: impl Into<String>) -> Self {
        self.refresh_json_key = key.into();
        self
    }

    /// Cookie and CSRF settings (`JWT_*_COOKIE_*`, `JWT_CSRF_*`).
    pub fn cookies(mut self, options: CookieOptions) -> Self {
        self.cookie = options;
        self
    }

    /// The key of the message in error bodies (`JWT_ERROR_MESSAGE_KEY`). Defaults to `msg`.
    pub fn error_message_key(mut self, key: impl Into<String>) -> Self {
        self.error_key = key.into();
        self
    }

    /// The statuses and `WWW-Authenticate` values of the default error responses:
    /// [`ErrorStyle::Flask`] (default) or [`ErrorStyle::Rfc6750`].
    pub fn error_style(mut self, style: ErrorStyle) -> Self {
        self.error_style = style;
        self
    }

    /// Replaces the default error responses altogether.
    pub fn error_responder(mut self, responder: impl ErrorResponder) -> Self {
        self.responder = Some(Arc::new(responder));
        self
    }

    /// Loads the application's user for every verified token (`user_lookup_loader`).
    pub fn user_loader(mut self, loader: impl UserLoader) -> Self {
        self.user_loader = Some(Arc::new(Erased(loader)));
        self
    }

    /// A revocation callback (`token_in_blocklist_loader`), checked after the revocation
    /// store.
    pub fn blocklist(mut self, blocklist: impl Blocklist) -> Self {
        self.blocklist = Some(Arc::new(blocklist));
        self
    }

    /// A claims check run after the built-in ones (`token_verification_loader`).
    pub fn claims_verifier(mut self, verifier: impl ClaimsVerifier) -> Self {
        self.claims_verifier = Some(Arc::new(verifier));
        self
    }

    /// The revocation store every guard consults and
    /// [`JwtManager::revoke_token`] writes to.
    pub fn revocation_store(mut self, store: impl RevocationStore) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// As [`revocation_store`](Self::revocation_store), for a store already shared.
    pub fn revocation_store_shared(mut self, store: Arc<dyn RevocationStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// Extra seconds a revocation is kept past `exp + leeway`, for clock skew between
    /// instances. Defaults to 60.
    pub fn revocation_skew_margin(mut self, seconds: u64) -> Self {
        self.skew_margin = seconds;
        self
    }

    /// Turns on refresh-token rotation with reuse detection
    /// ([`JwtManager::rotate_refresh_token`]): each refresh consumes the refresh token and
    /// returns a new one; a reused one revokes its whole family. `overlap` lets the family's
    /// most recently used refresh token be used again for that long (for clients that retry
    /// after a lost response); zero (the safest) allows no reuse at all. Needs a revocation
    /// store.
    pub fn refresh_rotation(mut self, overlap: std::time::Duration) -> Self {
        self.rotation = Some(overlap.as_secs());
        self
    }

    /// How many verified tokens the guards keep, so that a token sent again is not verified
    /// again (once the cache is full, a token is admitted on its second verification).
    /// Defaults to 10 000; 0 turns the cache off. Time claims, type, freshness, CSRF and
    /// revocation are checked on every request either way. The safety argument is in
    /// `SECURITY.md` and the README's Performance section.
    pub fn token_cache_capacity(mut self, entries: usize) -> Self {
        self.cache_capacity = entries;
        self
    }

    /// Reads Flask-JWT-Extended's `JWT_*` environment variables over the current settings:
    /// `JWT_SECRET_KEY`, `JWT_ALGORITHM`, `JWT_PRIVATE_KEY`, `JWT_PUBLIC_KEY`,
    /// `JWT_DECODE_ALGORITHMS`, `JWT_ACCESS_TOKEN_EXPIRES` and `JWT_REFRESH_TOKEN_EXPIRES`
    /// (seconds, or `false` for none), `JWT_IDENTITY_CLAIM`, `JWT_ENCODE_NBF`,
    /// `JWT_ENCODE_AUDIENCE`, `JWT_ENCODE_ISSUER`, `JWT_DECODE_AUDIENCE` (comma-separated),
    /// `JWT_DECODE_ISSUER`, `JWT_DECODE_LEEWAY`, `JWT_VERIFY_SUB`, `JWT_TOKEN_LOCATION`
    /// (comma-separated), `JWT_HEADER_NAME`, `JWT_HEADER_TYPE`, `JWT_ERROR_MESSAGE_KEY`,
    /// `JWT_QUERY_STRING_NAME`, `JWT_QUERY_STRING_VALUE_PREFIX`, `JWT_JSON_KEY`,
    /// `JWT_REFRESH_JSON_KEY`, the cookie and CSRF keys (`JWT_COOKIE_CSRF_PROTECT`,
    /// `JWT_ACCESS_COOKIE_NAME`, `JWT_COOKIE_SECURE`, `JWT_COOKIE_SAMESITE`,
    /// `JWT_SESSION_COOKIE`, `JWT_CSRF_METHODS`, ...), and this crate's
    /// `JWT_REFRESH_ROTATION` (`true`, `false`, or the overlap window in seconds).
    /// Unset variables leave the setting alone; a bad value is a [`ConfigError::Env`].
    pub fn from_env(self) -> Result<Self, ConfigError> {
        self.from_lookup(|name| std::env::var(name).ok())
    }

    /// As [`from_env`](Self::from_env), reading variables through `lookup`.
    ///
    /// ```
    /// use jwt_extended::JwtManager;
    ///
    /// let vars = [("JWT_SECRET_KEY", "an-example-secret-of-at-least-32-bytes!"), ("JWT_ACCESS_TOKEN_EXPIRES", "300")];
    /// let manager = JwtManager::builder()
    ///     .from_lookup(|name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string()))?
    ///     .build()?;
    /// # Ok::<(), jwt_extended::ConfigError>(())
    /// ```
    pub fn from_lookup(
        mut self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        fn bad(name: &'static str, reason: impl Into<String>) -> ConfigError {
            ConfigError::Env {
                name,
                reason: reason.into(),
            }
        }
        fn parse_bool(name: &'static str, v: &str) -> Result<bool, ConfigError> {
            match v.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => Ok(true),
                "0" | "false" | "no" | "off" => Ok(false),
                _ => Err(bad(name, "expected true or false")),
            }
        }
        fn parse_expiry(name: &'static str, v: &str) -> Result<Option<Duration>, ConfigError> {
            let v = v.trim();
            if v.eq_ignore_ascii_case("false") || v.eq_ignore_ascii_case("none") {
                return Ok(None);
            }
            let secs: i64 = v
                .parse()
                .map_err(|_| bad(name, "expected a whole number of seconds, or `false`"))?;
            if secs <= 0 {
                return Err(bad(
                    name,
                    "must be greater than zero (use `false` for no expiry)",
                ));
            }
            Ok(Some(Duration::seconds(secs)))
        }
        fn parse_alg(name: &'static str, v: &str) -> Result<Algorithm, ConfigError> {
            v.trim().parse().map_err(|_| bad(name, "unknown algorithm"))
        }
        fn list(v: &str) -> Vec<String> {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect()
        }

        if let Some(v) = lookup("JWT_ALGORITHM") {
            self.algorithm = parse_alg("JWT_ALGORITHM", &v)?;
        }
        if let Some(v) = lookup("JWT_SECRET_KEY") {
            self.secret = Some(v.into_bytes());
        }
        if let Some(v) = lookup("JWT_PRIVATE_KEY") {
            self.private_pem = Some(v.into_bytes());
        }
        if let Some(v) = lookup("JWT_PUBLIC_KEY") {
            self.public_pem = Some(v.into_bytes());
        }
        if let Some(v) = lookup("JWT_DECODE_ALGORITHMS") {
            self.decode_algorithms = list(&v)
                .iter()
                .map(|a| parse_alg("JWT_DECODE_ALGORITHMS", a))
                .collect::<Result<_, _>>()?;
        }
        if let Some(v) = lookup("JWT_ACCESS_TOKEN_EXPIRES") {
            self.access_expires = parse_expiry("JWT_ACCESS_TOKEN_EXPIRES", &v)?;
        }
        if let Some(v) = lookup("JWT_REFRESH_TOKEN_EXPIRES") {
            self.refresh_expires = parse_expiry("JWT_REFRESH_TOKEN_EXPIRES", &v)?;
        }
        if let Some(v) = lookup("JWT_IDENTITY_CLAIM") {
            self.identity_claim = v.trim().to_owned();
        }
        if let Some(v) = lookup("JWT_ENCODE_NBF") {
            self.encode_nbf = parse_bool("JWT_ENCODE_NBF", &v)?;
        }
        if let Some(v) = lookup("JWT_ENCODE_AUDIENCE") {
            let mut l = list(&v);
            self.encode_audience = match l.len() {
                0 => None,
                1 => l.pop().map(Audience::One),
                _ => Some(Audience::Many(l)),
            };
        }
        if let Some(v) = lookup("JWT_ENCODE_ISSUER") {
            self.encode_issuer = Some(v.trim().to_owned()).filter(|s| !s.is_empty());
        }
        if let Some(v) = lookup("JWT_DECODE_AUDIENCE") {
            let l = list(&v);
            self.decode_audience = (!l.is_empty()).then_some(l);
        }
        if let Some(v) = lookup("JWT_DECODE_ISSUER") {
            self.decode_issuer = Some(v.trim().to_owned()).filter(|s| !s.is_empty());
        }
        if let Some(v) = lookup("JWT_DECODE_LEEWAY") {
            self.leeway = v
                .trim()
                .parse()
                .map_err(|_| bad("JWT_DECODE_LEEWAY", "expected a whole number of seconds"))?;
        }
        if let Some(v) = lookup("JWT_VERIFY_SUB") {
            self.verify_sub = parse_bool("JWT_VERIFY_SUB", &v)?;
        }
        if let Some(v) = lookup("JWT_COOKIE_CSRF_PROTECT") {
            self.csrf_protect = parse_bool("JWT_COOKIE_CSRF_PROTECT", &v)?;
        }
        if let Some(v) = lookup("JWT_TOKEN_LOCATION") {
            self.locations = list(&v)
                .iter()
                .map(|l| {
                    l.parse()
                        .map_err(|e: ConfigError| bad("JWT_TOKEN_LOCATION", e.to_string()))
                })
                .collect::<Result<_, _>>()?;
        }
        if let Some(v) = lookup("JWT_HEADER_NAME") {
            self.header_name = v.trim().to_owned();
        }
        if let Some(v) = lookup("JWT_HEADER_TYPE") {
            self.header_type = v.trim().to_owned();
        }
        if let Some(v) = lookup("JWT_ERROR_MESSAGE_KEY") {
            self.error_key = v.trim().to_owned();
        }
        if let Some(v) = lookup("JWT_REFRESH_ROTATION") {
            let v = v.trim();
            self.rotation = if v.eq_ignore_ascii_case("false") || v.is_empty() {
                None
            } else if v.eq_ignore_ascii_case("true") {
                Some(0)
            } else {
                Some(v.parse().map_err(|_| {
                    bad(
                        "JWT_REFRESH_ROTATION",
                        "expected true, false, or the overlap window in seconds",
                    )
                })?)
            };
        }
        if let Some(v) = lookup("JWT_QUERY_STRING_NAME") {
            self.query_string_name = v.trim().to_owned();
        }
        if let Some(v) = lookup("JWT_QUERY_STRING_VALUE_PREFIX") {
            self.query_string_prefix = v;
        }
        if let Some(v) = lookup("JWT_JSON_KEY") {
            self.json_key = v.trim().to_owned();
        }
        if let Some(v) = lookup("JWT_REFRESH_JSON_KEY") {
            self.refresh_json_key = v.trim().to_owned();
        }
        let c = &mut self.cookie;
        let text = |name: &'static str, target: &mut String| {
            if let Some(v) = lookup(name) {
                *target = v.trim().to_owned();
            }
        };
        text("JWT_ACCESS_COOKIE_NAME", &mut c.access_cookie_name);
        text("JWT_REFRESH_COOKIE_NAME", &mut c.refresh_cookie_name);
        text("JWT_ACCESS_COOKIE_PATH", &mut c.access_cookie_path);
        text("JWT_REFRESH_COOKIE_PATH", &mut c.refresh_cookie_path);
        text(
            "JWT_ACCESS_CSRF_HEADER_NAME",
            &mut c.access_csrf_header_name,
        );
        text(
            "JWT_REFRESH_CSRF_HEADER_NAME",
            &mut c.refresh_csrf_header_name,
        );
        text(
            "JWT_ACCESS_CSRF_COOKIE_NAME",
            &mut c.access_csrf_cookie_name,
        );
        text(
            "JWT_REFRESH_CSRF_COOKIE_NAME",
            &mut c.refresh_csrf_cookie_name,
        );
        text(
            "JWT_ACCESS_CSRF_COOKIE_PATH",
            &mut c.access_csrf_cookie_path,
        );
        text(
            "JWT_REFRESH_CSRF_COOKIE_PATH",
            &mut c.refresh_csrf_cookie_path,
        );
        text("JWT_ACCESS_CSRF_FIELD_NAME", &mut c.access_csrf_field_name);
        text(
            "JWT_REFRESH_CSRF_FIELD_NAME",
            &mut c.refresh_csrf_field_name,
        );
        if let Some(v) = lookup("JWT_COOKIE_DOMAIN") {
            c.domain = Some(v.trim().to_owned()).filter(|d| !d.is_empty());
        }
        if let Some(v) = lookup("JWT_COOKIE_SECURE") {
            c.secure = parse_bool("JWT_COOKIE_SECURE", &v)?;
        }
        if let Some(v) = lookup("JWT_SESSION_COOKIE") {
            c.session_cookie = parse_bool("JWT_SESSION_COOKIE", &v)?;
        }
        if let Some(v) = lookup("JWT_CSRF_IN_COOKIES") {
            c.csrf_in_cookies = parse_bool("JWT_CSRF_IN_COOKIES", &v)?;
        }
        if let Some(v) = lookup("JWT_CSRF_CHECK_FORM") {
            c.csrf_check_form = parse_bool("JWT_CSRF_CHECK_FORM", &v)?;
        }
        if let Some(v) = lookup("JWT_COOKIE_PARTITIONED") {
            c.partitioned = parse_bool("JWT_COOKIE_PARTITIONED", &v)?;
        }
        if let Some(v) = lookup("JWT_COOKIE_SAMESITE") {
            c.same_site = match v.trim().to_ascii_lowercase().as_str() {
                "" | "none_unset" => None,
                "lax" => Some(SameSite::Lax),
                "strict" => Some(SameSite::Strict),
                "none" => Some(SameSite::None),
                _ => return Err(bad("JWT_COOKIE_SAMESITE", "expected Lax, Strict or None")),
            };
        }
        if let Some(v) = lookup("JWT_CSRF_METHODS") {
            c.csrf_methods = list(&v);
        }
        Ok(self)
    }

    /// Checks every option and builds the manager. Keys are parsed and each signing key
    /// signs and verifies once, so a manager that builds is a manager that works.
    pub fn build(self) -> Result<JwtManager, ConfigError> {
        let provider = crypto_provider()?;
        if self.access_expires.is_some_and(|d| d <= Duration::ZERO) {
            return Err(ConfigError::NonPositiveExpiry("access token expiry"));
        }
        if self.refresh_expires.is_some_and(|d| d <= Duration::ZERO) {
            return Err(ConfigError::NonPositiveExpiry("refresh token expiry"));
        }
        if self.leeway > MAX_LEEWAY_SECS {
            return Err(ConfigError::LeewayTooLarge(self.leeway));
        }
        let claim = self.identity_claim.as_str();
        if claim.is_empty()
            || crate::token::RESERVED.contains(&claim)
            || (claim == "aud" && self.encode_audience.is_some())
            || (claim == "iss" && self.encode_issuer.is_some())
        {
            return Err(ConfigError::InvalidOption {
                option: "identity_claim",
                reason: format!(
                    "{claim:?} cannot hold the identity: it must not be empty nor one of the claims the crate writes itself ({}, and aud/iss when encoded)",
                    crate::token::RESERVED.join(", ")
                ),
            });
        }
        if !(64..=1024 * 1024).contains(&self.max_token_len) {
            return Err(ConfigError::InvalidOption {
                option: "max_token_len",
                reason: "must be between 64 bytes and 1 MiB".into(),
            });
        }
        let primary = match self.key {
            Some(key) => key,
            None => match self.algorithm.family() {
                jsonwebtoken::AlgorithmFamily::Hmac => {
                    let secret = self.secret.ok_or(ConfigError::MissingKey)?;
                    Key::hmac(self.algorithm, secret)?
                }
                _ => {
                    let public = self.public_pem.ok_or(ConfigError::MissingKey)?;
                    match self.private_pem {
                        Some(private) => Key::from_pem(self.algorithm, private, public)?,
                        None => Key::public_pem(self.algorithm, public)?,
                    }
                }
            },
        };
        let keys = KeySet::build(
            provider,
            primary,
            &self.decode_algorithms,
            self.verification_keys,
        )?;
        let require_exp = !(self.accept_non_expiring
            || self.access_expires.is_none()
            || self.refresh_expires.is_none());
        if self.locations.is_empty() {
            return Err(ConfigError::InvalidOption {
                option: "token_locations",
                reason: "at least one location is required".into(),
            });
        }
        let mut locations: Vec<TokenLocation> = Vec::with_capacity(self.locations.len());
        for l in self.locations {
            if !locations.contains(&l) {
                locations.push(l);
            }
        }
        if self.rotation.is_some() && self.store.is_none() {
            return Err(ConfigError::InvalidOption {
                option: "refresh_rotation",
                reason: "refresh rotation needs a revocation store".into(),
            });
        }
        let header = HeaderConfig::new(&self.header_name, &self.header_type)?;
        let (cookies, csrf) = self.cookie.build(self.csrf_protect)?;
        let query = QueryConfig::new(&self.query_string_name, &self.query_string_prefix)?;
        let json = JsonConfig::new(&self.json_key, &self.refresh_json_key);
        let responder = self.responder.unwrap_or_else(|| {
            Arc::new(DefaultErrorResponder::new(
                self.error_key.as_str(),
                self.error_style,
            ))
        });
        let identity_claim: Arc<str> = self.identity_claim.into();
        let max_token_len = self.max_token_len;
        let manager = JwtManager {
            inner: Arc::new(Inner {
                keys,
                decode: DecodeConfig {
                    identity_claim: identity_claim.clone(),
                    decode_audience: self.decode_audience,
                    decode_issuer: self.decode_issuer,
                    leeway: self.leeway,
                    verify_sub: self.verify_sub,
                    require_exp,
                    max_token_len: self.max_token_len,
                    max_header_len: 1024,
                },
                create: CreateConfig {
                    access_expires: self.access_expires,
                    refresh_expires: self.refresh_expires,
                    identity_claim,
                    encode_nbf: self.encode_nbf,
                    encode_audience: self.encode_audience,
                    encode_issuer: self.encode_issuer,
                    csrf_protect: self.csrf_protect,
                    require_exp,
                },
                clock: self.clock,
                additional_claims: self.additional_claims,
                additional_headers: self.additional_headers,
                guard: GuardConfig {
                    locations: locations.into(),
                    header,
                    cookies,
                    csrf,
                    query,
                    json,
                    responder,
                    user_loader: self.user_loader,
                    blocklist: self.blocklist,
                    claims_verifier: self.claims_verifier,
                    store: self.store,
                    skew_margin: self.skew_margin,
                    rotation: self.rotation,
                },
                cache: TokenCache::new(self.cache_capacity),
            }),
        };
        manager.check_token_size(max_token_len)?;
        Ok(manager)
    }
}

#[cfg(all(test, not(any(feature = "aws-lc-rs", feature = "rust-crypto"))))]
mod no_backend_tests {
    use super::*;

    #[test]
    fn build_without_a_crypto_backend_is_an_error_not_a_panic() {
        let err = JwtManager::builder()
            .secret("an-example-secret-of-at-least-32-bytes!")
            .build()
            .unwrap_err();
        assert!(matches!(err, ConfigError::NoCryptoBackend));
    }
}

/// Cookie and double-submit CSRF settings, with Flask-JWT-Extended's defaults
/// (`JWT_ACCESS_COOKIE_NAME`, `JWT_COOKIE_SECURE`, `JWT_CSRF_METHODS`, ...). Every field is
/// public; start from `CookieOptions::default()`.
///
/// ```
/// use jwt_extended::{CookieOptions, JwtManager, SameSite, TokenLocation};
///
/// let manager = JwtManager::builder()
///     .secret("an-example-secret-of-at-least-32-bytes!")
///     .token_locations([TokenLocation::Cookies])
///     .cookies(CookieOptions {
///         secure: true,
///         same_site: Some(SameSite::Strict),
///         session_cookie: false,
///         ..CookieOptions::default()
///     })
///     .build()?;
/// # Ok::<(), jwt_extended::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieOptions {
    /// `JWT_ACCESS_COOKIE_NAME`: `access_token_cookie`.
    pub access_cookie_name: String,
    /// `JWT_REFRESH_COOKIE_NAME`: `refresh_token_cookie`.
    pub refresh_cookie_name: String,
    /// `JWT_ACCESS_COOKIE_PATH`: `/`.
    pub access_cookie_path: String,
    /// `JWT_REFRESH_COOKIE_PATH`: `/`.
    pub refresh_cookie_path: String,
    /// `JWT_COOKIE_SECURE`: `false`.
    pub secure: bool,
    /// `JWT_COOKIE_DOMAIN`: none (a leading dot is dropped).
    pub domain: Option<String>,
    /// `JWT_COOKIE_SAMESITE`: none (the attribute is omitted).
    pub same_site: Option<SameSite>,
    /// `JWT_SESSION_COOKIE`: `true` (no `Max-Age`); `false` gives `Max-Age=31540000`.
    pub session_cookie: bool,
    /// CHIPS `Partitioned` attribute: `false`.
    pub partitioned: bool,
    /// `JWT_CSRF_METHODS`: `POST`, `PUT`, `PATCH`, `DELETE` (case-sensitive).
    pub csrf_methods: Vec<String>,
    /// `JWT_CSRF_IN_COOKIES`: `true` (the CSRF value is also set in a readable cookie).
    pub csrf_in_cookies: bool,
    /// `JWT_CSRF_CHECK_FORM`: `false` (with [`JwtBodyLayer`](crate::JwtBodyLayer), also read
    /// the CSRF value from a form field when the header is absent).
    pub csrf_check_form: bool,
    /// `JWT_ACCESS_CSRF_HEADER_NAME`: `X-CSRF-TOKEN`.
    pub access_csrf_header_name: String,
    /// `JWT_REFRESH_CSRF_HEADER_NAME`: `X-CSRF-TOKEN`.
    pub refresh_csrf_header_name: String,
    /// `JWT_ACCESS_CSRF_COOKIE_NAME`: `csrf_access_token`.
    pub access_csrf_cookie_name: String,
    /// `JWT_REFRESH_CSRF_COOKIE_NAME`: `csrf_refresh_token`.
    pub refresh_csrf_cookie_name: String,
    /// `JWT_ACCESS_CSRF_COOKIE_PATH`: `/`.
    pub access_csrf_cookie_path: String,
    /// `JWT_REFRESH_CSRF_COOKIE_PATH`: `/`.
    pub refresh_csrf_cookie_path: String,
    /// `JWT_ACCESS_CSRF_FIELD_NAME`: `csrf_token`.
    pub access_csrf_field_name: String,
    /// `JWT_REFRESH_CSRF_FIELD_NAME`: `csrf_token`.
    pub refresh_csrf_field_name: String,
}

impl Default for CookieOptions {
    fn default() -> Self {
        Self {
            access_cookie_name: "access_token_cookie".into(),
            refresh_cookie_name: "refresh_token_cookie".into(),
            access_cookie_path: "/".into(),
            refresh_cookie_path: "/".into(),
            secure: false,
            domain: None,
            same_site: None,
            session_cookie: true,
            partitioned: false,
            csrf_methods: ["POST", "PUT", "PATCH", "DELETE"].map(String::from).into(),
            csrf_in_cookies: true,
            csrf_check_form: false,
            access_csrf_header_name: "X-CSRF-TOKEN".into(),
            refresh_csrf_header_name: "X-CSRF-TOKEN".into(),
            access_csrf_cookie_name: "csrf_access_token".into(),
            refresh_csrf_cookie_name: "csrf_refresh_token".into(),
            access_csrf_cookie_path: "/".into(),
            refresh_csrf_cookie_path: "/".into(),
            access_csrf_field_name: "csrf_token".into(),
            refresh_csrf_field_name: "csrf_token".into(),
        }
    }
}

impl CookieOptions {
    fn build(&self, protect: bool) -> Result<(CookieConfig, CsrfConfig), ConfigError> {
        let cookies = CookieConfig::new(
            &self.access_cookie_name,
            &self.refresh_cookie_name,
            &self.access_cookie_path,
            &self.refresh_cookie_path,
            self.secure,
            self.domain.as_deref(),
            self.same_site,
            self.session_cookie,
            self.partitioned,
        )?;
        // The CSRF cookies follow the same rules (they are written with the same
        // attributes).
        CookieConfig::new(
            &self.access_csrf_cookie_name,
            &self.refresh_csrf_cookie_name,
            &self.access_csrf_cookie_path,
            &self.refresh_csrf_cookie_path,
            self.secure,
            self.domain.as_deref(),
            self.same_site,
            self.session_cookie,
            self.partitioned,
        )?;
        let header = |option: &'static str, name: &str| {
            http::HeaderName::from_bytes(name.as_bytes()).map_err(|e| ConfigError::InvalidOption {
                option,
                reason: e.to_string(),
            })
        };
        let methods = self
            .csrf_methods
            .iter()
            .map(|m| {
                http::Method::from_bytes(m.as_bytes()).map_err(|e| ConfigError::InvalidOption {
                    option: "csrf_methods",
                    reason: e.to_string(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let csrf = CsrfConfig {
            protect,
            methods,
            in_cookies: self.csrf_in_cookies,
            check_form: self.csrf_check_form,
            access_header: header("access_csrf_header_name", &self.access_csrf_header_name)?,
            refresh_header: header("refresh_csrf_header_name", &self.refresh_csrf_header_name)?,
            access_cookie: self.access_csrf_cookie_name.as_str().into(),
            refresh_cookie: self.refresh_csrf_cookie_name.as_str().into(),
            access_cookie_path: self.access_csrf_cookie_path.as_str().into(),
            refresh_cookie_path: self.refresh_csrf_cookie_path.as_str().into(),
            access_field: self.access_csrf_field_name.as_str().into(),
            refresh_field: self.refresh_csrf_field_name.as_str().into(),
        };
        Ok((cookies, csrf))
    }
}
