//! [`JwtManagerBuilder`]: every option with Flask-JWT-Extended's default, and
//! [`build`](JwtManagerBuilder::build), which checks them all and assembles the manager.
//! Reading the `JWT_*` environment variables is in `env.rs`.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

use jsonwebtoken::Algorithm;
use time::Duration;

use super::revocation::RevocationConfig;
use super::{Inner, JwtManager};
use crate::cache::TokenCache;
use crate::callbacks::{
    AdditionalClaims, AdditionalHeaders, Blocklist, ClaimsImpl, ClaimsVerifier, Erased,
    ErasedUserLoader, GuardCallbacks, HeadersImpl, IntoClaims, ObjectFn, ObjectLoader, UserFn,
    UserLoader,
};
use crate::claims::DecodedToken;
use crate::clock::{Clock, SystemClock};
use crate::decode::{DecodeConfig, Verifier};
use crate::duration::IntoDuration;
use crate::error::ConfigError;
use crate::error::{Answer, BoxError, ErrorKind, JwtError};
use crate::keys::{Key, KeySet, crypto_provider};
use crate::locations::{
    CookieOptions, HeaderConfig, JsonConfig, QueryConfig, RequestSettings, TokenLocation,
};
use crate::response::{DefaultErrorResponder, ErrorResponder, ErrorStyle, KindAnswer, KindAnswers};
use crate::store::RevocationStore;
use crate::token::{Audience, Issuer, RESERVED};

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
    pub(super) algorithm: Algorithm,
    pub(super) secret: Option<Vec<u8>>,
    pub(super) private_pem: Option<Vec<u8>>,
    pub(super) public_pem: Option<Vec<u8>>,
    pub(super) key: Option<Key>,
    pub(super) verification_keys: Vec<Key>,
    pub(super) decode_algorithms: Vec<Algorithm>,
    pub(super) access_expires: Option<Duration>,
    pub(super) refresh_expires: Option<Duration>,
    pub(super) accept_non_expiring: bool,
    pub(super) identity_claim: String,
    pub(super) encode_nbf: bool,
    pub(super) encode_audience: Option<Audience>,
    pub(super) encode_issuer: Option<String>,
    pub(super) decode_audience: Option<Vec<String>>,
    pub(super) decode_issuer: Option<String>,
    pub(super) leeway: u64,
    pub(super) verify_sub: bool,
    pub(super) csrf_protect: bool,
    pub(super) max_token_len: usize,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) additional_claims: Option<Arc<dyn ObjectLoader>>,
    pub(super) additional_headers: Option<Arc<dyn ObjectLoader>>,
    pub(super) locations: Vec<TokenLocation>,
    pub(super) header_name: String,
    pub(super) header_type: String,
    pub(super) cookie: CookieOptions,
    pub(super) query_string_name: String,
    pub(super) query_string_prefix: String,
    pub(super) json_key: String,
    pub(super) refresh_json_key: String,
    pub(super) error_key: String,
    pub(super) error_style: ErrorStyle,
    pub(super) responder: Option<Arc<dyn ErrorResponder>>,
    pub(super) answers: Vec<(ErrorKind, Arc<KindAnswer>)>,
    pub(super) user_loader: Option<Arc<dyn ErasedUserLoader>>,
    pub(super) blocklist: Option<Arc<dyn Blocklist>>,
    pub(super) claims_verifier: Option<Arc<dyn ClaimsVerifier>>,
    pub(super) store: Option<Arc<dyn RevocationStore>>,
    /// The same store when it is a `MemoryStore`: the guards check it without a future.
    #[cfg(feature = "memory-store")]
    pub(super) memory_store: Option<Arc<crate::store::MemoryStore>>,
    pub(super) skew_margin: u64,
    pub(super) rotation: Option<u64>,
    pub(super) cache_capacity: usize,
    #[cfg(feature = "jwks")]
    pub(super) issuers: Vec<crate::issuer::Issuer>,
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
            answers: Vec::new(),
            user_loader: None,
            blocklist: None,
            claims_verifier: None,
            store: None,
            #[cfg(feature = "memory-store")]
            memory_store: None,
            skew_margin: 60,
            rotation: None,
            cache_capacity: 10_000,
            #[cfg(feature = "jwks")]
            issuers: Vec::new(),
        }
    }
}

impl JwtManagerBuilder {
    /// The largest leeway [`build`](Self::build) accepts, in seconds.
    pub const MAX_LEEWAY_SECS: u64 = 300;

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
    pub fn access_expires(mut self, duration: impl IntoDuration) -> Self {
        self.access_expires = Some(duration.into_time_duration());
        self
    }

    /// Access tokens carry no `exp` (`JWT_ACCESS_TOKEN_EXPIRES = False`). Implies
    /// [`accept_non_expiring_tokens`](Self::accept_non_expiring_tokens).
    pub fn access_never_expires(mut self) -> Self {
        self.access_expires = None;
        self
    }

    /// Lifetime of refresh tokens (`JWT_REFRESH_TOKEN_EXPIRES`). Defaults to 30 days.
    pub fn refresh_expires(mut self, duration: impl IntoDuration) -> Self {
        self.refresh_expires = Some(duration.into_time_duration());
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

    /// The clock (defaults to [`SystemClock`]); tests pass a [`MockClock`](crate::clock::MockClock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Extra claims for every new token, from the identity (`additional_claims_loader`),
    /// written as Flask's loader is: the closure gets the identity claim's value and
    /// returns a JSON object (`json!({..})` or a `Map`). Claims given to a
    /// [`TokenBuilder`](crate::TokenBuilder) win on conflict; a non-object makes creation fail.
    ///
    /// ```
    /// use jwt_extended::JwtManager;
    /// use serde_json::json;
    ///
    /// let manager = JwtManager::builder()
    ///     .secret("an-example-secret-of-at-least-32-bytes!")
    ///     .additional_claims(|identity| json!({ "is_admin": identity == "1" }))
    ///     .build()?;
    /// # Ok::<(), jwt_extended::ConfigError>(())
    /// ```
    pub fn additional_claims<F, R>(mut self, loader: F) -> Self
    where
        F: Fn(&serde_json::Value) -> R + Send + Sync + 'static,
        R: IntoClaims + 'static,
    {
        self.additional_claims = Some(Arc::new(ObjectFn(loader, PhantomData)));
        self
    }

    /// As [`additional_claims`](Self::additional_claims), for a loader that is a type of
    /// its own, implementing [`AdditionalClaims`].
    pub fn additional_claims_loader(mut self, loader: impl AdditionalClaims) -> Self {
        self.additional_claims = Some(Arc::new(ClaimsImpl(loader)));
        self
    }

    /// Extra headers for every new token, from the identity (`additional_headers_loader`):
    /// the closure returns a JSON object.
    pub fn additional_headers<F, R>(mut self, loader: F) -> Self
    where
        F: Fn(&serde_json::Value) -> R + Send + Sync + 'static,
        R: IntoClaims + 'static,
    {
        self.additional_headers = Some(Arc::new(ObjectFn(loader, PhantomData)));
        self
    }

    /// As [`additional_headers`](Self::additional_headers), for a loader that is a type of
    /// its own, implementing [`AdditionalHeaders`].
    pub fn additional_headers_loader(mut self, loader: impl AdditionalHeaders) -> Self {
        self.additional_headers = Some(Arc::new(HeadersImpl(loader)));
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

    /// Answers one kind of error the application's way and keeps the default answer for
    /// the rest: Flask-JWT-Extended's `@jwt.expired_token_loader` and the other error loaders.
    /// The closure gets the error (its [`message()`](JwtError::message), and the verified
    /// [`token()`](JwtError::token) for expired, revoked, not-fresh and user-lookup errors)
    /// and returns a status and a JSON body; the response gets `Content-Type:
    /// application/json` and, on a 401, the `WWW-Authenticate` challenge of the
    /// [`error_style`](Self::error_style). Every other kind keeps the default answer, with
    /// the [`error_message_key`](Self::error_message_key) (or the
    /// [`error_responder`](Self::error_responder), when one is set).
    ///
    /// | Flask-JWT-Extended loader | [`ErrorKind`] |
    /// |---|---|
    /// | `expired_token_loader` | [`Expired`](ErrorKind::Expired) |
    /// | `invalid_token_loader` | [`InvalidToken`](ErrorKind::InvalidToken) (and [`WrongTokenType`](ErrorKind::WrongTokenType), which Flask sends there too) |
    /// | `unauthorized_loader` | [`Missing`](ErrorKind::Missing), [`Csrf`](ErrorKind::Csrf) |
    /// | `needs_fresh_token_loader` | [`FreshRequired`](ErrorKind::FreshRequired) |
    /// | `revoked_token_loader` | [`Revoked`](ErrorKind::Revoked) |
    /// | `user_lookup_error_loader` | [`UserLookup`](ErrorKind::UserLookup) |
    /// | `token_verification_failed_loader` | [`ClaimsVerification`](ErrorKind::ClaimsVerification) |
    ///
    /// ```
    /// use http::StatusCode;
    /// use jwt_extended::{ErrorKind, JwtManager};
    /// use serde_json::json;
    ///
    /// let manager = JwtManager::builder()
    ///     .secret("an-example-secret-of-at-least-32-bytes!")
    ///     .error_message_key("message")
    ///     .on_error(ErrorKind::Expired, |_err| {
    ///         (StatusCode::UNAUTHORIZED, json!({ "message": "The token has expired.", "error": "token_expired" }))
    ///     })
    ///     .build()?;
    /// # Ok::<(), jwt_extended::ConfigError>(())
    /// ```
    pub fn on_error<F>(mut self, kind: ErrorKind, answer: F) -> Self
    where
        F: Fn(&JwtError) -> (http::StatusCode, serde_json::Value) + Send + Sync + 'static,
    {
        self.answers.push((kind, Arc::new(answer)));
        self
    }

    /// Replaces the default error responses altogether.
    pub fn error_responder(mut self, responder: impl ErrorResponder) -> Self {
        self.responder = Some(Arc::new(responder));
        self
    }

    /// Loads the application's user for every verified token (`user_lookup_loader`), from
    /// an async closure or a plain `async fn` taking the verified token. `Ok(None)` (no
    /// such user) answers `401 Error loading the user <identity>`, `Err(_)` answers `503`.
    /// Handlers get the user with [`CurrentUser`](crate::CurrentUser).
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use std::sync::Arc;
    /// use jwt_extended::JwtManager;
    ///
    /// #[derive(Clone)]
    /// struct User { id: u64, name: String }
    ///
    /// let users: Arc<HashMap<String, User>> = Arc::default();
    /// let manager = JwtManager::builder()
    ///     .secret("an-example-secret-of-at-least-32-bytes!")
    ///     .load_user(move |token| {
    ///         let users = users.clone();
    ///         async move { Ok(token.subject().and_then(|id| users.get(id)).cloned()) }
    ///     })
    ///     .build()?;
    /// # Ok::<(), jwt_extended::ConfigError>(())
    /// ```
    pub fn load_user<F, Fut, U>(mut self, loader: F) -> Self
    where
        F: Fn(Arc<DecodedToken>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Option<U>, BoxError>> + Send + 'static,
        U: Clone + Send + Sync + 'static,
    {
        self.user_loader = Some(Arc::new(UserFn(loader, PhantomData)));
        self
    }

    /// As [`load_user`](Self::load_user), for a loader that is a type of its own,
    /// implementing [`UserLoader`].
    pub fn user_loader(mut self, loader: impl UserLoader) -> Self {
        self.user_loader = Some(Arc::new(Erased(loader)));
        self
    }

    /// A revocation callback (`token_in_blocklist_loader`), checked after the revocation
    /// store: the closure gets the verified token and returns whether it is revoked.
    ///
    /// ```
    /// use jwt_extended::JwtManager;
    ///
    /// let manager = JwtManager::builder()
    ///     .secret("an-example-secret-of-at-least-32-bytes!")
    ///     .blocklist(|token| token.subject() == Some("banned"))
    ///     .build()?;
    /// # Ok::<(), jwt_extended::ConfigError>(())
    /// ```
    pub fn blocklist<F>(mut self, is_revoked: F) -> Self
    where
        F: Fn(&DecodedToken) -> bool + Send + Sync + 'static,
    {
        self.blocklist = Some(Arc::new(is_revoked));
        self
    }

    /// As [`blocklist`](Self::blocklist), for an async or fallible check implementing
    /// [`Blocklist`].
    pub fn blocklist_loader(mut self, blocklist: impl Blocklist) -> Self {
        self.blocklist = Some(Arc::new(blocklist));
        self
    }

    /// A claims check run after the built-in ones (`token_verification_loader`): the
    /// closure gets the verified token; `false` answers `400 User claims verification
    /// failed`.
    pub fn claims_verifier<F>(mut self, verify: F) -> Self
    where
        F: Fn(&DecodedToken) -> bool + Send + Sync + 'static,
    {
        self.claims_verifier = Some(Arc::new(verify));
        self
    }

    /// As [`claims_verifier`](Self::claims_verifier), for an async or fallible check
    /// implementing [`ClaimsVerifier`].
    pub fn claims_verifier_loader(mut self, verifier: impl ClaimsVerifier) -> Self {
        self.claims_verifier = Some(Arc::new(verifier));
        self
    }

    /// The revocation store every guard consults and
    /// [`JwtManager::revoke_token`] writes to.
    pub fn revocation_store(mut self, store: impl RevocationStore) -> Self {
        let store = Arc::new(store);
        #[cfg(feature = "memory-store")]
        {
            let any: Arc<dyn std::any::Any + Send + Sync> = store.clone();
            self.memory_store = any.downcast().ok();
        }
        self.store = Some(store);
        self
    }

    /// As [`revocation_store`](Self::revocation_store), for a store already shared (by
    /// several managers, or with code that revokes on its own).
    pub fn revocation_store_shared(mut self, store: Arc<dyn RevocationStore>) -> Self {
        #[cfg(feature = "memory-store")]
        {
            let any: Arc<dyn std::any::Any + Send + Sync> = store.clone();
            self.memory_store = any.downcast().ok();
        }
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
    pub fn refresh_rotation(mut self, overlap: impl IntoDuration) -> Self {
        self.rotation = Some(overlap.into_std_duration().as_secs());
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

    /// Also accepts the tokens of an external issuer (an OpenID Connect identity provider),
    /// on every guard, beside the manager's own tokens. Call it once per issuer. A token is
    /// routed by its `iss` to the issuer of that exact name and verified with that issuer's
    /// keys, audience and algorithms alone; the manager's own audience and issuer settings
    /// apply to its own tokens only. See [`Issuer`](crate::Issuer).
    ///
    /// ```
    /// use jwt_extended::{Issuer, JwtManager};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), jwt_extended::ConfigError> {
    /// let manager = JwtManager::builder()
    ///     .secret("an-example-secret-of-at-least-32-bytes!")
    ///     .issuer(Issuer::discover("https://sso.example.com/realms/main").audience(["orders-api"]))
    ///     .build()?; // keys are fetched in the background: building never waits for the issuer
    /// # Ok(())
    /// # }
    /// ```
    #[cfg(feature = "jwks")]
    #[cfg_attr(docsrs, doc(cfg(feature = "jwks")))]
    pub fn issuer(mut self, issuer: crate::issuer::Issuer) -> Self {
        self.issuers.push(issuer);
        self
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
        if self.leeway > Self::MAX_LEEWAY_SECS {
            return Err(ConfigError::LeewayTooLarge(self.leeway));
        }
        let require_exp = !(self.accept_non_expiring
            || self.access_expires.is_none()
            || self.refresh_expires.is_none());
        let mut issuer = Issuer {
            access_expires: self.access_expires,
            refresh_expires: self.refresh_expires,
            identity_claim: self.identity_claim.as_str().into(),
            encode_nbf: self.encode_nbf,
            encode_audience: self.encode_audience,
            encode_issuer: self.encode_issuer,
            csrf_protect: self.csrf_protect,
            require_exp,
            verify_sub: self.verify_sub,
            signer: None,
            clock: self.clock.clone(),
            additional_claims: self.additional_claims,
            additional_headers: self.additional_headers,
            rotation: self.rotation.is_some(),
            answer: None,
        };
        let claim = self.identity_claim.as_str();
        if claim.is_empty() || issuer.writes_besides_identity(claim) {
            return Err(ConfigError::InvalidOption {
                option: "identity_claim",
                reason: format!(
                    "{claim:?} cannot hold the identity: it must not be empty nor one of the claims the crate writes itself ({}, and aud/iss when encoded)",
                    RESERVED.join(", ")
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
        let (keys, signer) = KeySet::build(
            provider,
            primary,
            &self.decode_algorithms,
            self.verification_keys,
        )?;
        issuer.signer = signer;
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
        let responder: Arc<dyn ErrorResponder> = if self.answers.is_empty() {
            responder
        } else {
            Arc::new(KindAnswers {
                answers: self.answers,
                fallback: responder,
                style: self.error_style,
            })
        };
        let answering = responder.clone();
        let answer: Answer = Arc::new(move |e: &JwtError| answering.respond(e));
        issuer.answer = Some(answer);
        let decode = DecodeConfig {
            identity_claim: issuer.identity_claim.clone(),
            decode_audience: self.decode_audience,
            decode_issuer: self.decode_issuer,
            leeway: self.leeway,
            verify_sub: self.verify_sub,
            require_exp,
            max_token_len: self.max_token_len,
            max_header_len: 1024,
            external: false,
        };
        check_token_size(&issuer, self.max_token_len)?;
        #[cfg(feature = "jwks")]
        let issuers = super::issuers::Issuers::build(
            self.issuers,
            provider,
            &decode,
            issuer.encode_issuer.as_deref(),
        )?;
        Ok(JwtManager {
            inner: Arc::new(Inner {
                verifier: Verifier::new(decode, keys),
                issuer,
                clock: self.clock,
                requests: RequestSettings {
                    order: locations.into(),
                    header,
                    cookies,
                    csrf,
                    query,
                    json,
                },
                responder,
                callbacks: GuardCallbacks {
                    claims_verifier: self.claims_verifier,
                    user_loader: self.user_loader,
                },
                revocation: RevocationConfig {
                    store: self.store,
                    #[cfg(feature = "memory-store")]
                    memory_store: self.memory_store,
                    blocklist: self.blocklist,
                    skew_margin: self.skew_margin,
                    rotation: self.rotation,
                },
                cache: TokenCache::new(self.cache_capacity),
                #[cfg(feature = "jwks")]
                issuers,
            }),
        })
    }
}

/// Refuses a token size cap that the manager's own smallest refresh token (no application
/// claims) would not fit in: such a manager would refuse every token it mints. Nothing is
/// checked for verification-only managers.
fn check_token_size(issuer: &Issuer, max: usize) -> Result<(), ConfigError> {
    if issuer.signer.is_none() {
        return Ok(());
    }
    let probe = issuer.probe().map_err(|e| ConfigError::InvalidOption {
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
