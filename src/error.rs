//! Errors: [`JwtError`] for everything that happens to a token or a request,
//! [`ConfigError`] for a [`JwtManager`](crate::JwtManager) that cannot be built.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http::StatusCode;

use crate::claims::DecodedToken;

/// A boxed error from an application callback or a store backend.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// How the manager that produced an error answers it (its `ErrorResponder`, erased here so
/// that this module depends on nothing above it).
pub(crate) type Answer = Arc<dyn Fn(&JwtError) -> http::Response<Bytes> + Send + Sync>;

/// Why a token or a request was rejected, or why a token could not be created.
///
/// The error is opaque: ask it for its [`kind()`](Self::kind), its HTTP
/// [`status()`](Self::status) and its [`message()`](Self::message), which is the exact
/// text Flask-JWT-Extended answers with. A message never contains the token, a secret
/// or an unverified claim.
///
/// ```
/// use jwt_extended::{ErrorKind, JwtManager};
///
/// let manager = JwtManager::builder()
///     .secret("an-example-secret-of-at-least-32-bytes!")
///     .build()?;
/// let err = manager.decode_token("not-a-token").unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::InvalidToken);
/// assert_eq!(err.status(), http::StatusCode::UNPROCESSABLE_ENTITY);
/// assert_eq!(err.message(), "Not enough segments");
/// # Ok::<(), jwt_extended::ConfigError>(())
/// ```
pub struct JwtError {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    message: Cow<'static, str>,
    token: Option<Arc<DecodedToken>>,
    source: Option<BoxError>,
    answer: Option<Answer>,
    required_scope: Option<Box<str>>,
}

/// The kind of a [`JwtError`]; each kind maps to one of Flask-JWT-Extended's error
/// callbacks and to one HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// No token was found in any configured location (401, FJE's `unauthorized_loader`).
    Missing,
    /// A CSRF double-submit check failed (401, FJE's `unauthorized_loader`).
    Csrf,
    /// The token, or the header carrying it, is malformed or fails verification
    /// (422, FJE's `invalid_token_loader`).
    InvalidToken,
    /// The token is of the wrong type for the route: a refresh token where an access token
    /// is required or the reverse (422).
    WrongTokenType,
    /// The token has expired (401, FJE's `expired_token_loader`).
    Expired,
    /// The token has been revoked (401, FJE's `revoked_token_loader`).
    Revoked,
    /// The route requires a fresh token (401, FJE's `needs_fresh_token_loader`).
    FreshRequired,
    /// The user-lookup callback found no user (401, FJE's `user_lookup_error_loader`).
    UserLookup,
    /// The claims-verification callback refused the token (400, FJE's
    /// `token_verification_failed_loader`).
    ClaimsVerification,
    /// A claim requirement (for example "admins only") was not met (403).
    Forbidden,
    /// The token lacks a required OAuth scope (403; in the RFC 6750 style
    /// `WWW-Authenticate: Bearer error="insufficient_scope", scope="..."`, the scopes from
    /// [`JwtError::required_scope`]).
    InsufficientScope,
    /// A revocation store or user store failed; the request is refused (503).
    Unavailable,
    /// A token could not be created (500): an invalid claim, an overflowing expiry, a
    /// serialization or signing failure.
    TokenCreation,
    /// The application is misconfigured, for example a guard used without
    /// `JwtLayer` (500).
    Misconfigured,
}

impl ErrorKind {
    /// The HTTP status of this kind, as Flask-JWT-Extended answers it.
    pub const fn status(self) -> StatusCode {
        match self {
            Self::Missing
            | Self::Csrf
            | Self::Expired
            | Self::Revoked
            | Self::FreshRequired
            | Self::UserLookup => StatusCode::UNAUTHORIZED,
            Self::InvalidToken | Self::WrongTokenType => StatusCode::UNPROCESSABLE_ENTITY,
            Self::ClaimsVerification => StatusCode::BAD_REQUEST,
            Self::Forbidden | Self::InsufficientScope => StatusCode::FORBIDDEN,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::TokenCreation | Self::Misconfigured => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl JwtError {
    /// A new error of `kind` with `message` (the text sent to the client).
    pub fn new(kind: ErrorKind, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                message: message.into(),
                token: None,
                source: None,
                answer: None,
                required_scope: None,
            }),
        }
    }

    pub(crate) fn invalid(message: &'static str) -> Self {
        Self::new(ErrorKind::InvalidToken, message)
    }

    pub(crate) fn creation(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::TokenCreation, message)
    }

    /// Attaches the verified token this error is about (expired, revoked, not fresh, ...).
    pub(crate) fn with_token(mut self, token: Arc<DecodedToken>) -> Self {
        self.inner.token = Some(token);
        self
    }

    /// Remembers how the manager that produced this error answers it, for
    /// [`response`](Self::response).
    pub(crate) fn answered_by(mut self, answer: &Answer) -> Self {
        self.inner.answer = Some(answer.clone());
        self
    }

    /// The answer of the manager that produced this error, if one did.
    pub(crate) fn answer(&self) -> Option<&Answer> {
        self.inner.answer.as_ref()
    }

    /// Attaches the underlying cause (kept for logs; never part of the message).
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.inner.source = Some(source.into());
        self
    }

    /// Records the scopes a route requires (space-separated), for the RFC 6750 `scope`
    /// parameter of an [`InsufficientScope`](ErrorKind::InsufficientScope) answer.
    pub(crate) fn with_required_scope(mut self, scope: impl Into<Box<str>>) -> Self {
        self.inner.required_scope = Some(scope.into());
        self
    }

    /// The scopes the route requires, space-separated, when the error is an
    /// [`InsufficientScope`](ErrorKind::InsufficientScope) (the RFC 6750 `scope` parameter).
    pub fn required_scope(&self) -> Option<&str> {
        self.inner.required_scope.as_deref()
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The HTTP status for this error.
    pub fn status(&self) -> StatusCode {
        self.inner.kind.status()
    }

    /// The message sent to the client, e.g. `Token has expired`.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The token this error is about, when it had been verified before the check that
    /// failed (expired, revoked, not fresh, wrong type, user lookup, claims verification).
    /// Flask-JWT-Extended passes the same data to its error callbacks.
    pub fn token(&self) -> Option<&DecodedToken> {
        self.inner.token.as_deref()
    }

    /// `true` when no token was found.
    pub fn is_missing(&self) -> bool {
        self.kind() == ErrorKind::Missing
    }

    /// `true` when the token has expired.
    pub fn is_expired(&self) -> bool {
        self.kind() == ErrorKind::Expired
    }

    /// `true` when the token has been revoked.
    pub fn is_revoked(&self) -> bool {
        self.kind() == ErrorKind::Revoked
    }

    /// `true` when the token is malformed or failed verification.
    pub fn is_invalid(&self) -> bool {
        self.kind() == ErrorKind::InvalidToken
    }

    /// `true` when a store failed and the request was refused.
    pub fn is_unavailable(&self) -> bool {
        self.kind() == ErrorKind::Unavailable
    }
}

impl fmt::Debug for JwtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtError")
            .field("kind", &self.inner.kind)
            .field("message", &self.inner.message)
            .field("source", &self.inner.source)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for JwtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.inner.message)
    }
}

impl std::error::Error for JwtError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Why a [`JwtManager`](crate::JwtManager) could not be built.
///
/// Every option is checked by [`JwtManagerBuilder::build`](crate::JwtManagerBuilder::build),
/// so a manager that exists is a manager that works.
///
/// ```
/// use jwt_extended::{ConfigError, JwtManager};
///
/// let err = JwtManager::builder().secret("too short").build().unwrap_err();
/// assert!(matches!(err, ConfigError::WeakSecret { .. }));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No key was configured: neither a secret (`JWT_SECRET_KEY` or
    /// [`secret`](crate::JwtManagerBuilder::secret)) for HS*, nor a public key (with a private
    /// one to sign) for RS*, PS*, ES* and EdDSA.
    #[error(
        "no key configured: set the JWT_SECRET_KEY environment variable (or call .secret()) for HS256/384/512, or JWT_PRIVATE_KEY and JWT_PUBLIC_KEY (or .private_key_pem() and .public_key_pem()) for RS*, PS*, ES* and EdDSA"
    )]
    MissingKey,
    /// The HMAC secret is shorter than the algorithm's hash (RFC 7518 §3.2).
    #[error("the {algorithm:?} secret must be at least {min} bytes long (got {len})")]
    WeakSecret {
        /// The algorithm the secret is for.
        algorithm: jsonwebtoken::Algorithm,
        /// The minimum length in bytes.
        min: usize,
        /// The length that was given.
        len: usize,
    },
    /// The HMAC secret looks like a PEM, DER or SSH key: using public key material as
    /// an HMAC secret is the key-confusion attack.
    #[error("the HMAC secret looks like a PEM, DER or SSH key; refusing it")]
    SecretLooksLikeKey,
    /// A PEM key could not be parsed, or does not fit its algorithm.
    #[error("invalid {what} key for {algorithm:?}: {reason}")]
    InvalidKey {
        /// `private` or `public`.
        what: &'static str,
        /// The algorithm the key is for.
        algorithm: jsonwebtoken::Algorithm,
        /// What is wrong with it.
        reason: String,
    },
    /// The key family does not match the algorithm, or an algorithm was listed for a key
    /// of another family.
    #[error("algorithm {algorithm:?} cannot be used with this key: {reason}")]
    AlgorithmMismatch {
        /// The algorithm.
        algorithm: jsonwebtoken::Algorithm,
        /// Why it does not fit.
        reason: &'static str,
    },
    /// Two keys share a `kid`, or a rotation key lacks one.
    #[error("key id problem: {0}")]
    KeyId(String),
    /// An expiry of zero or less was configured (use the explicit "never expires" option).
    #[error(
        "{0} must be greater than zero (use the explicit never-expires option instead of zero)"
    )]
    NonPositiveExpiry(&'static str),
    /// The leeway exceeds the allowed maximum.
    #[error("leeway of {0} seconds exceeds the maximum of 300 seconds")]
    LeewayTooLarge(u64),
    /// No crypto backend (`aws-lc-rs` or `rust-crypto`) is compiled in and none was
    /// installed by the application.
    #[error("no crypto backend: enable the `aws-lc-rs` or `rust-crypto` feature of jwt-extended")]
    NoCryptoBackend,
    /// An option has an invalid value (a header name, a cookie name, a location list, ...).
    #[error("invalid value for {option}: {reason}")]
    InvalidOption {
        /// The option.
        option: &'static str,
        /// Why the value is invalid.
        reason: String,
    },
    /// An environment variable has a value that cannot be parsed.
    #[error("environment variable {name}: {reason}")]
    Env {
        /// The variable.
        name: &'static str,
        /// Why its value is invalid.
        reason: String,
    },
}
