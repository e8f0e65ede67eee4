//! Guards: [`JwtRequired`], [`FreshJwtRequired`], [`RefreshJwtRequired`],
//! [`AnyJwtRequired`], [`OptionalJwt`] and [`CurrentUser`].
//!
//! A guard finds the token in the request, verifies it and runs Flask-JWT-Extended's checks in
//! its order (reference: `verify_jwt_in_request`):
//!
//! 1. `OPTIONS` requests pass without identity;
//! 2. the configured locations are searched in order; only "missing" moves on to the next;
//! 3. the token is verified (signature, `exp`/`nbf`/`iat`, `aud`, `iss`, `sub`, `jti`, the
//!    identity claim);
//! 4. the CSRF double submit, for cookie tokens;
//! 5. the token type, then freshness;
//! 6. the revocation store and the [`Blocklist`](crate::Blocklist) callback;
//! 7. the [`ClaimsVerifier`](crate::ClaimsVerifier) callback;
//! 8. the [`UserLoader`](crate::UserLoader) callback.
//!
//! The result is kept in the request (under a private key), so a handler that takes several
//! guards verifies its token once.
//!
//! On `OPTIONS`, [`OptionalJwt`] (and `Option<JwtRequired>`) yield `None` and
//! [`RequireJwtLayer`](crate::RequireJwtLayer) lets the request through without identity, as
//! Flask-JWT-Extended does. A required guard cannot be made without a token, so an extractor
//! on an `OPTIONS` handler refuses the request as missing: answer preflights in a CORS layer
//! in front, or use `OptionalJwt` there.
//!
//! Guards need the context that [`JwtLayer`](crate::JwtLayer) (or
//! [`RequireJwtLayer`](crate::RequireJwtLayer)) adds to every request; without it they answer
//! `500` with a hint, never `401`.
//!
//! In axum (feature `axum`) guards are extractors. Without axum, call
//! [`JwtRequired::from_parts`] / [`JwtRequired::from_request`] (and the same functions of the
//! other guards), or put a [`RequireJwtLayer`](crate::RequireJwtLayer) in front of the service
//! and read the guard from the request extensions.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http::{Extensions, HeaderMap, Method, Request, Response, Uri, request::Parts};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::callbacks::AnyUser;
use crate::claims::{DecodedToken, TokenType};
use crate::error::{ErrorKind, JwtError};
use crate::locations::cookie::check_csrf;
use crate::locations::json::BodyValues;
use crate::locations::{Found, TokenLocation, missing_everywhere};
use crate::manager::JwtManager;
use crate::response::{DefaultErrorResponder, ErrorResponder};

/// What the layer puts into every request: the manager, and the locations to search when
/// a route overrides them.
#[derive(Clone)]
pub(crate) struct JwtContext {
    pub(crate) manager: JwtManager,
    pub(crate) locations: Option<Arc<[TokenLocation]>>,
}

/// Which tokens a guard accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Access tokens (any type but `refresh`).
    Access,
    /// Fresh access tokens.
    Fresh,
    /// Refresh tokens only.
    Refresh,
    /// Any token type (`verify_type=False`).
    Any,
}

/// Flask-JWT-Extended's `verify_jwt_in_request` parameters.
#[derive(Debug, Clone)]
pub(crate) struct Requirement {
    pub(crate) kind: Kind,
    pub(crate) optional: bool,
    pub(crate) locations: Option<Arc<[TokenLocation]>>,
    pub(crate) skip_revocation: bool,
}

impl Requirement {
    pub(crate) const fn new(kind: Kind) -> Self {
        Self {
            kind,
            optional: false,
            locations: None,
            skip_revocation: false,
        }
    }
}

/// A token that passed every check of a guard.
pub(crate) struct Verified {
    pub(crate) token: Arc<DecodedToken>,
    pub(crate) location: TokenLocation,
    pub(crate) user: Option<AnyUser>,
    pub(crate) responder: Arc<dyn ErrorResponder>,
}

/// The per-request cache of verified tokens, under a private type so nothing upstream can
/// forge it. Nearly always one entry, kept inline.
#[derive(Clone)]
struct VerifiedCache {
    first: CacheEntry,
    more: Vec<CacheEntry>,
}

impl VerifiedCache {
    fn iter(&self) -> impl Iterator<Item = &CacheEntry> {
        std::iter::once(&self.first).chain(&self.more)
    }
}

#[derive(Clone)]
struct CacheEntry {
    /// The manager that verified. A guard working for another manager (an inner
    /// `JwtLayer`, or a `RequireJwtLayer` of its own) never reuses this verification: its
    /// keys, audiences, issuer or callbacks may differ.
    manager: JwtManager,
    refresh: bool,
    locations: Arc<[TokenLocation]>,
    verified: Arc<Verified>,
    revocation_checked: bool,
}

/// The parts of a request a guard reads; implemented for `Parts` and `Request<B>`.
pub(crate) trait RequestHead: Send {
    fn method(&self) -> &Method;
    fn uri(&self) -> &Uri;
    fn headers(&self) -> &HeaderMap;
    fn extensions(&self) -> &Extensions;
    fn extensions_mut(&mut self) -> &mut Extensions;
}

impl RequestHead for Parts {
    fn method(&self) -> &Method {
        &self.method
    }
    fn uri(&self) -> &Uri {
        &self.uri
    }
    fn headers(&self) -> &HeaderMap {
        &self.headers
    }
    fn extensions(&self) -> &Extensions {
        &self.extensions
    }
    fn extensions_mut(&mut self) -> &mut Extensions {
        &mut self.extensions
    }
}

impl<B: Send> RequestHead for Request<B> {
    fn method(&self) -> &Method {
        self.method()
    }
    fn uri(&self) -> &Uri {
        self.uri()
    }
    fn headers(&self) -> &HeaderMap {
        self.headers()
    }
    fn extensions(&self) -> &Extensions {
        self.extensions()
    }
    fn extensions_mut(&mut self) -> &mut Extensions {
        self.extensions_mut()
    }
}

fn missing_layer() -> JwtError {
    JwtError::new(
        ErrorKind::Misconfigured,
        "Missing JWT context: is `JwtLayer` installed in front of this route?",
    )
}

/// Runs the checks of `req` on the request. `Ok(None)`: no token on an optional route, or
/// an `OPTIONS` request.
pub(crate) async fn verify<H: RequestHead>(
    head: &mut H,
    req: &Requirement,
) -> Result<Option<Arc<Verified>>, Rejection> {
    // The context stays borrowed from the request: nothing of it is cloned on the way.
    let Some(ctx) = head.extensions().get::<JwtContext>() else {
        return Err(Rejection::new(missing_layer(), None));
    };
    let manager = &ctx.manager;
    let responder = &manager.inner().guard.responder;
    let reject = |e: JwtError| Rejection::new(e, Some(responder.clone()));
    if head.method() == Method::OPTIONS {
        return Ok(None);
    }
    let refresh = req.kind == Kind::Refresh;
    let locations = req
        .locations
        .as_ref()
        .or(ctx.locations.as_ref())
        .unwrap_or(&manager.inner().guard.locations);

    let cached = head.extensions().get::<VerifiedCache>().and_then(|cache| {
        cache
            .iter()
            .find(|e| e.matches(manager, refresh, locations))
            .map(|e| (e.verified.clone(), e.revocation_checked))
    });
    if let Some((verified, revocation_checked)) = cached {
        check_type_and_freshness(manager, &verified.token, req.kind).map_err(reject)?;
        if !revocation_checked && !req.skip_revocation {
            manager
                .check_revocation(&verified.token)
                .await
                .map_err(reject)?;
            let (owner, locations) = (manager.clone(), locations.clone());
            remember(head, owner, verified.clone(), refresh, locations, true);
        }
        return Ok(Some(verified));
    }

    let (token, location) = {
        let mut missing: Vec<String> = Vec::new();
        let mut found = None;
        for location in locations.iter().copied() {
            match extract(manager, head, location, refresh) {
                Ok(raw) => {
                    let decoded = manager.decode_shared(&raw.token).and_then(|token| {
                        if let Some(sent) = &raw.csrf {
                            check_csrf(sent, token.csrf())?;
                        }
                        Ok(token)
                    });
                    found = Some((decoded, location));
                    break;
                }
                Err(e) if e.is_missing() => missing.push(e.message().to_owned()),
                Err(e) => return Err(reject(e)),
            }
        }
        match found {
            Some((decoded, location)) => (decoded.map_err(reject)?, location),
            None if req.optional => return Ok(None),
            None => return Err(reject(missing_everywhere(locations, &missing))),
        }
    };

    check_type_and_freshness(manager, &token, req.kind).map_err(reject)?;
    if !req.skip_revocation {
        manager.check_revocation(&token).await.map_err(reject)?;
    }
    let callbacks = &manager.inner().guard;
    if let Some(verifier) = &callbacks.claims_verifier {
        match verifier.verify_claims(&token).await {
            Ok(true) => {}
            Ok(false) => {
                return Err(reject(
                    JwtError::new(
                        ErrorKind::ClaimsVerification,
                        "User claims verification failed",
                    )
                    .with_token(token),
                ));
            }
            Err(e) => {
                return Err(reject(
                    JwtError::new(ErrorKind::Unavailable, "Claims verification unavailable")
                        .with_source(e),
                ));
            }
        }
    }
    let user = match &callbacks.user_loader {
        Some(loader) => match loader.load(&token).await {
            Ok(Some(user)) => Some(user),
            Ok(None) => {
                let identity = match token.identity() {
                    Value::String(s) => Cow::Borrowed(s.as_str()),
                    other => Cow::Owned(other.to_string()),
                };
                let e = JwtError::new(
                    ErrorKind::UserLookup,
                    format!("Error loading the user {identity}"),
                );
                return Err(reject(e.with_token(token)));
            }
            Err(e) => {
                return Err(reject(
                    JwtError::new(ErrorKind::Unavailable, "User lookup unavailable").with_source(e),
                ));
            }
        },
        None => None,
    };
    let verified = Arc::new(Verified {
        token,
        location,
        user,
        responder: responder.clone(),
    });
    let (owner, locations) = (manager.clone(), locations.clone());
    remember(
        head,
        owner,
        verified.clone(),
        refresh,
        locations,
        !req.skip_revocation,
    );
    Ok(Some(verified))
}

impl CacheEntry {
    fn matches(&self, manager: &JwtManager, refresh: bool, locations: &[TokenLocation]) -> bool {
        // The same manager (not an equal one): the entry holds a clone, so the pointer
        // cannot be reused by another manager while the entry exists.
        std::ptr::eq(self.manager.inner(), manager.inner())
            && self.refresh == refresh
            && *self.locations == *locations
    }
}

fn remember<H: RequestHead>(
    head: &mut H,
    manager: JwtManager,
    verified: Arc<Verified>,
    refresh: bool,
    locations: Arc<[TokenLocation]>,
    revocation_checked: bool,
) {
    let entry = CacheEntry {
        manager,
        refresh,
        locations,
        verified,
        revocation_checked,
    };
    let ext = head.extensions_mut();
    let Some(cache) = ext.get_mut::<VerifiedCache>() else {
        ext.insert(VerifiedCache {
            first: entry,
            more: Vec::new(),
        });
        return;
    };
    let same = |e: &CacheEntry| e.matches(&entry.manager, entry.refresh, &entry.locations);
    if same(&cache.first) {
        cache.first = entry;
    } else if let Some(e) = cache.more.iter_mut().find(|e| same(e)) {
        *e = entry;
    } else {
        cache.more.push(entry);
    }
}

fn extract<'h, H: RequestHead>(
    manager: &JwtManager,
    head: &'h H,
    location: TokenLocation,
    refresh: bool,
) -> Result<Found<'h>, JwtError> {
    let guard = &manager.inner().guard;
    let body = || head.extensions().get::<BodyValues>();
    match location {
        TokenLocation::Headers => guard.header.extract(head.headers()).map(Found::token),
        TokenLocation::Cookies => {
            guard
                .cookies
                .extract(&guard.csrf, head.headers(), head.method(), body(), refresh)
        }
        TokenLocation::QueryString => guard.query.extract(head.uri()),
        TokenLocation::Json => guard.json.extract(head.headers(), body(), refresh),
    }
}

fn check_type_and_freshness(
    manager: &JwtManager,
    token: &Arc<DecodedToken>,
    kind: Kind,
) -> Result<(), JwtError> {
    match kind {
        Kind::Access | Kind::Fresh if *token.token_type() == TokenType::Refresh => {
            Err(JwtError::new(
                ErrorKind::WrongTokenType,
                "Only non-refresh tokens are allowed",
            )
            .with_token(token.clone()))
        }
        Kind::Refresh if *token.token_type() != TokenType::Refresh => Err(JwtError::new(
            ErrorKind::WrongTokenType,
            "Only refresh tokens are allowed",
        )
        .with_token(token.clone())),
        Kind::Fresh if !token.fresh().is_fresh_at(manager.now_f64()) => Err(JwtError::new(
            ErrorKind::FreshRequired,
            "Fresh token required",
        )
        .with_token(token.clone())),
        _ => Ok(()),
    }
}

/// A guard's failure: the error, and the responder that turns it into a response.
pub(crate) struct Rejection {
    error: JwtError,
    responder: Option<Arc<dyn ErrorResponder>>,
}

impl Rejection {
    pub(crate) fn new(error: JwtError, responder: Option<Arc<dyn ErrorResponder>>) -> Self {
        Self { error, responder }
    }
}

impl From<Rejection> for JwtRejection {
    fn from(r: Rejection) -> Self {
        let rejection = JwtRejection {
            error: r.error,
            responder: r.responder,
        };
        rejection.log();
        rejection
    }
}

/// Why a guard refused a request. Turn it into a response with
/// [`into_response`](Self::into_response) (in axum, it is `IntoResponse`).
///
/// The response comes from the manager's [`ErrorResponder`]: Flask-JWT-Extended's statuses
/// and `{"msg": ...}` bodies by default.
pub struct JwtRejection {
    error: JwtError,
    responder: Option<Arc<dyn ErrorResponder>>,
}

impl JwtRejection {
    /// The error.
    pub fn error(&self) -> &JwtError {
        &self.error
    }

    /// The error, by value.
    pub fn into_error(self) -> JwtError {
        self.error
    }

    /// The HTTP response for this rejection.
    pub fn into_response(self) -> Response<Bytes> {
        match &self.responder {
            Some(r) => r.respond(&self.error),
            None => DefaultErrorResponder::default().respond(&self.error),
        }
    }

    fn log(&self) {
        let status = self.error.status().as_u16();
        if self.error.kind() == ErrorKind::Misconfigured {
            tracing::error!(target: "jwt_extended::rejection", status, "{}", self.error.message());
        } else {
            tracing::debug!(
                target: "jwt_extended::rejection",
                status,
                kind = ?self.error.kind(),
                "request rejected"
            );
        }
    }
}

impl fmt::Debug for JwtRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtRejection")
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for JwtRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl std::error::Error for JwtRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// The default claims type of the guards: no typed claims (read them from
/// [`token()`](JwtRequired::token) instead).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoClaims;

impl<'de> serde::Deserialize<'de> for NoClaims {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(d).map(|_| NoClaims)
    }
}

fn typed_claims<C: DeserializeOwned>(v: &Verified) -> Result<C, Rejection> {
    C::deserialize(v.token.claims()).map_err(|_| {
        Rejection::new(
            JwtError::new(
                ErrorKind::InvalidToken,
                "Token claims do not match the expected format",
            )
            .with_token(v.token.clone()),
            Some(v.responder.clone()),
        )
    })
}

macro_rules! guard {
    (
        $(#[$doc:meta])*
        $name:ident, $kind:expr, $example:literal
    ) => {
        $(#[$doc])*
        ///
        /// `C` is the type the claims are deserialized into (defaults to [`NoClaims`]).
        ///
        /// Without axum, read it with [`from_parts`](Self::from_parts) or
        #[doc = concat!("[`from_request`](Self::from_request), or from the extensions after a [`RequireJwtLayer`](crate::RequireJwtLayer)::", $example, ".")]
        pub struct $name<C = NoClaims> {
            verified: Arc<Verified>,
            claims: C,
        }

        impl<C: Clone> Clone for $name<C> {
            fn clone(&self) -> Self {
                Self { verified: self.verified.clone(), claims: self.claims.clone() }
            }
        }

        impl<C: fmt::Debug> fmt::Debug for $name<C> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("token", &self.verified.token)
                    .field("location", &self.verified.location)
                    .field("claims", &self.claims)
                    .finish()
            }
        }

        impl<C> $name<C> {
            pub(crate) const REQUIREMENT: Requirement = Requirement::new($kind);

            /// The verified token (header and claims).
            pub fn token(&self) -> &DecodedToken {
                &self.verified.token
            }

            /// The identity claim (`get_jwt_identity()`).
            pub fn identity(&self) -> &Value {
                self.verified.token.identity()
            }

            /// The identity claim when it is a string.
            pub fn subject(&self) -> Option<&str> {
                self.verified.token.subject()
            }

            /// The claims, typed.
            pub fn claims(&self) -> &C {
                &self.claims
            }

            /// The typed claims, by value.
            pub fn into_claims(self) -> C {
                self.claims
            }

            /// Where the token was found (`get_jwt_request_location()`).
            pub fn location(&self) -> TokenLocation {
                self.verified.location
            }

            /// The user loaded by the [`UserLoader`](crate::UserLoader), if one is configured
            /// and its user type is `U`.
            pub fn user<U: Send + Sync + 'static>(&self) -> Option<&U> {
                self.verified.user.as_deref().and_then(|u| u.downcast_ref::<U>())
            }

            /// Requires `check` to hold for the token, answering `403` with `message`
            /// otherwise: for claim requirements such as "admins only".
            pub fn require(
                &self,
                check: impl FnOnce(&DecodedToken) -> bool,
                message: impl Into<Cow<'static, str>>,
            ) -> Result<(), JwtRejection> {
                if check(&self.verified.token) {
                    Ok(())
                } else {
                    Err(Rejection::new(
                        JwtError::new(ErrorKind::Forbidden, message)
                            .with_token(self.verified.token.clone()),
                        Some(self.verified.responder.clone()),
                    )
                    .into())
                }
            }
        }

        impl<C: DeserializeOwned> $name<C> {
            pub(crate) fn from_verified(verified: Arc<Verified>) -> Result<Self, Rejection> {
                let claims = typed_claims(&verified)?;
                Ok(Self { verified, claims })
            }

            /// Runs the guard on request parts (the function form of the extractor).
            pub async fn from_parts(parts: &mut Parts) -> Result<Self, JwtRejection> {
                Self::run(parts).await.map_err(Into::into)
            }

            /// Runs the guard on a request.
            pub async fn from_request<B: Send>(req: &mut Request<B>) -> Result<Self, JwtRejection> {
                Self::run(req).await.map_err(Into::into)
            }

            async fn run<H: RequestHead>(head: &mut H) -> Result<Self, Rejection> {
                match verify(head, &Self::REQUIREMENT).await? {
                    Some(v) => Self::from_verified(v),
                    None => Err(options_without_token(head)),
                }
            }
        }
    };
}

/// An `OPTIONS` request reaching a guard that needs a token (FJE lets the view run; a
/// typed guard cannot be made without a token, so the request is refused as "missing").
fn options_without_token<H: RequestHead>(head: &H) -> Rejection {
    let responder = head
        .extensions()
        .get::<JwtContext>()
        .map(|c| c.manager.inner().guard.responder.clone());
    Rejection::new(
        JwtError::new(
            ErrorKind::Missing,
            "Missing JWT: OPTIONS requests carry no identity",
        ),
        responder,
    )
}

guard! {
    /// Requires an access token (`@jwt_required()`): any token type but `refresh`.
    ///
    /// ```
    /// # #[cfg(feature = "axum")] {
    /// use axum::{Router, routing::get};
    /// use jwt_extended::{JwtManager, JwtRequired};
    ///
    /// async fn protected(jwt: JwtRequired) -> String {
    ///     format!("hello {}", jwt.subject().unwrap_or("?"))
    /// }
    ///
    /// let manager = JwtManager::builder().secret("an-example-secret-of-at-least-32-bytes!").build().unwrap();
    /// let app: Router = Router::new().route("/protected", get(protected)).layer(manager.layer());
    /// # }
    /// ```
    JwtRequired, Kind::Access, "access()"
}

guard! {
    /// Requires a fresh access token (`@jwt_required(fresh=True)`): `"fresh": true`, or a
    /// `fresh` timestamp not yet passed.
    ///
    /// ```
    /// # #[cfg(feature = "axum")] {
    /// use jwt_extended::FreshJwtRequired;
    ///
    /// async fn change_password(jwt: FreshJwtRequired) -> &'static str {
    ///     "password changed"
    /// }
    /// # }
    /// ```
    FreshJwtRequired, Kind::Fresh, "fresh()"
}

guard! {
    /// Requires a refresh token (`@jwt_required(refresh=True)`).
    ///
    /// ```
    /// # #[cfg(feature = "axum")] {
    /// use axum::{Json, extract::State};
    /// use jwt_extended::{JwtManager, RefreshJwtRequired};
    ///
    /// async fn refresh(State(manager): State<JwtManager>, jwt: RefreshJwtRequired) -> Json<serde_json::Value> {
    ///     let access = manager.create_access_token(jwt.identity()).unwrap();
    ///     Json(serde_json::json!({ "access_token": access }))
    /// }
    /// # }
    /// ```
    RefreshJwtRequired, Kind::Refresh, "refresh()"
}

guard! {
    /// Requires a token of any type (`@jwt_required(verify_type=False)`), as a logout route
    /// that revokes access and refresh tokens alike does.
    ///
    /// ```
    /// # #[cfg(feature = "axum")] {
    /// use axum::extract::State;
    /// use jwt_extended::{AnyJwtRequired, JwtManager};
    ///
    /// async fn logout(State(manager): State<JwtManager>, jwt: AnyJwtRequired) -> &'static str {
    ///     manager.revoke_token(jwt.token()).await.unwrap();
    ///     "Token revoked"
    /// }
    /// # }
    /// ```
    AnyJwtRequired, Kind::Any, "any()"
}

/// An access token if the request carries one (`@jwt_required(optional=True)`): `None` when
/// there is none, but a bad, expired or wrong-type token is still refused.
///
/// ```
/// # #[cfg(feature = "axum")] {
/// use jwt_extended::OptionalJwt;
///
/// async fn greet(jwt: OptionalJwt) -> String {
///     match jwt.subject() {
///         Some(who) => format!("hello {who}"),
///         None => "hello stranger".into(),
///     }
/// }
/// # }
/// ```
pub struct OptionalJwt<C = NoClaims>(pub Option<JwtRequired<C>>);

impl<C: Clone> Clone for OptionalJwt<C> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<C: fmt::Debug> fmt::Debug for OptionalJwt<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("OptionalJwt").field(&self.0).finish()
    }
}

impl<C> OptionalJwt<C> {
    /// The identity claim, if a token was sent.
    pub fn identity(&self) -> Option<&Value> {
        self.0.as_ref().map(JwtRequired::identity)
    }

    /// The identity claim, if a token was sent and its identity is a string.
    pub fn subject(&self) -> Option<&str> {
        self.0.as_ref().and_then(JwtRequired::subject)
    }

    /// The verified token, if one was sent.
    pub fn token(&self) -> Option<&DecodedToken> {
        self.0.as_ref().map(JwtRequired::token)
    }
}

impl<C: DeserializeOwned> OptionalJwt<C> {
    /// Runs the guard on request parts.
    pub async fn from_parts(parts: &mut Parts) -> Result<Self, JwtRejection> {
        Self::run(parts).await.map_err(Into::into)
    }

    /// Runs the guard on a request.
    pub async fn from_request<B: Send>(req: &mut Request<B>) -> Result<Self, JwtRejection> {
        Self::run(req).await.map_err(Into::into)
    }

    pub(crate) async fn run<H: RequestHead>(head: &mut H) -> Result<Self, Rejection> {
        let req = Requirement {
            optional: true,
            ..Requirement::new(Kind::Access)
        };
        match verify(head, &req).await? {
            Some(v) => Ok(Self(Some(JwtRequired::from_verified(v)?))),
            None => Ok(Self(None)),
        }
    }
}

/// The user the [`UserLoader`](crate::UserLoader) loaded for the request's access token
/// (`current_user`). Runs the same checks as [`JwtRequired`].
///
/// ```
/// # #[cfg(feature = "axum")] {
/// use jwt_extended::CurrentUser;
///
/// #[derive(Clone)]
/// struct User { name: String }
///
/// async fn me(CurrentUser(user): CurrentUser<User>) -> String {
///     user.name
/// }
/// # }
/// ```
pub struct CurrentUser<U>(pub U);

impl<U: fmt::Debug> fmt::Debug for CurrentUser<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("CurrentUser").field(&self.0).finish()
    }
}

impl<U: Clone + Send + Sync + 'static> CurrentUser<U> {
    /// Runs the guard on request parts.
    pub async fn from_parts(parts: &mut Parts) -> Result<Self, JwtRejection> {
        Self::run(parts, false)
            .await
            .and_then(|u| u.ok_or_else(|| options_without_token(parts)))
            .map_err(Into::into)
    }

    pub(crate) async fn run<H: RequestHead>(
        head: &mut H,
        optional: bool,
    ) -> Result<Option<Self>, Rejection> {
        let req = Requirement {
            optional,
            ..Requirement::new(Kind::Access)
        };
        let Some(v) = verify(head, &req).await? else {
            return Ok(None);
        };
        match v.user.as_deref().and_then(|u| u.downcast_ref::<U>()) {
            Some(user) => Ok(Some(Self(user.clone()))),
            None => Err(Rejection::new(
                JwtError::new(
                    ErrorKind::Misconfigured,
                    format!(
                        "CurrentUser<{}> needs a UserLoader with that user type (JwtManagerBuilder::user_loader)",
                        std::any::type_name::<U>()
                    ),
                ),
                Some(v.responder.clone()),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use serde::Deserialize;

    #[test]
    fn no_claims_accepts_anything() {
        let map: serde_json::Map<String, Value> =
            serde_json::from_str(r#"{"a": [1, {"b": null}], "c": "d"}"#).unwrap();
        assert_eq!(NoClaims::deserialize(&map).unwrap(), NoClaims);
    }
}
