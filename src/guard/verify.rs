//! The per-request verification pipeline every guard and route layer runs (reference:
//! Flask-JWT-Extended's `verify_jwt_in_request`), and the context [`JwtContext`] that the
//! `JwtLayer` middleware puts into every request for it.

use std::sync::Arc;

use http::{Extensions, HeaderMap, Method, Request, Uri, request::Parts};

use super::rejection::Rejection;
use crate::callbacks::AnyUser;
use crate::claims::{DecodedToken, TokenType};
use crate::error::{ErrorKind, JwtError};
use crate::locations::{
    BodyValues, Found, HeaderConfig, RequestParts, TokenLocation, check_csrf, missing_everywhere,
};
use crate::manager::JwtManager;
use crate::response::ErrorResponder;

/// The one extension the layer puts into every request: the layer's settings (one `Arc`,
/// shared by every request) and, once a guard has run, the record of the tokens it verified
/// for this request. A private type, so nothing upstream can forge it.
#[derive(Clone)]
pub(crate) struct JwtContext {
    layer: Arc<LayerSettings>,
    verified: Option<VerifiedCache>,
}

/// What a layer gives the guards: the manager, and the locations to search when a route
/// overrides them.
pub(crate) struct LayerSettings {
    pub(crate) manager: JwtManager,
    pub(crate) locations: Option<Arc<[TokenLocation]>>,
}

impl JwtContext {
    /// The manager of the (innermost) layer.
    pub(crate) fn manager(&self) -> &JwtManager {
        &self.layer.manager
    }

    /// Puts `layer`'s settings into the request: one insert, or, behind another layer, a
    /// replacement of that layer's settings that keeps the request's record of verified
    /// tokens (each entry names the manager that verified it, so nothing is reused across
    /// managers).
    pub(crate) fn install(extensions: &mut Extensions, layer: &Arc<LayerSettings>) {
        match extensions.get_mut::<JwtContext>() {
            Some(ctx) => ctx.layer = layer.clone(),
            None => {
                extensions.insert(JwtContext {
                    layer: layer.clone(),
                    verified: None,
                });
            }
        }
    }
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
    /// Whether the token cache answered (`None`: no cache).
    pub(crate) cache_hit: Option<bool>,
    pub(crate) user: Option<AnyUser>,
    /// The manager that verified it. The request's record of verified tokens reuses a
    /// verification only for this manager (not an equal one: the record holds this clone,
    /// so the pointer cannot be reused by another manager while it exists): its keys,
    /// audiences, issuer or callbacks may differ.
    pub(crate) manager: JwtManager,
}

impl Verified {
    /// The responder that answers this token's later refusals (the manager's).
    pub(crate) fn responder(&self) -> &Arc<dyn ErrorResponder> {
        self.manager.responder()
    }
}

/// The per-request cache of verified tokens, kept in the request's [`JwtContext`]. Nearly
/// always one entry, kept inline.
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

/// A verification of this request. A guard working for another manager than
/// `verified.manager` (an inner `JwtLayer`, or a `RequireJwtLayer` of its own) never reuses
/// it.
#[derive(Clone)]
struct CacheEntry {
    refresh: bool,
    /// The locations looked at; `None`: the manager's own order (not cloned).
    locations: Option<Arc<[TokenLocation]>>,
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
    let manager = ctx.manager();
    let responder = manager.responder();
    let reject = |e: JwtError| Rejection::new(e, Some(responder.clone()));
    if head.method() == Method::OPTIONS {
        return Ok(None);
    }
    let refresh = req.kind == Kind::Refresh;
    let locations = req
        .locations
        .as_ref()
        .or(ctx.layer.locations.as_ref())
        .unwrap_or(&manager.requests().order);

    let cached = ctx.verified.as_ref().and_then(|cache| {
        cache
            .iter()
            .find(|e| e.matches(manager, refresh, locations))
            .map(|e| (e.verified.clone(), e.revocation_checked))
    });
    if let Some((verified, revocation_checked)) = cached {
        let seen = |r: Rejection| r.seen(verified.location, verified.cache_hit);
        check_type_and_freshness(manager, &verified.token, req.kind)
            .map_err(reject)
            .map_err(seen)?;
        if !revocation_checked && !req.skip_revocation {
            manager
                .check_revocation(&verified.token)
                .await
                .map_err(reject)
                .map_err(seen)?;
            let locations = kept_locations(manager, locations);
            remember(head, verified.clone(), refresh, locations, true);
        }
        return Ok(Some(verified));
    }

    let (token, location, cache_hit) = {
        let mut missing: Vec<String> = Vec::new();
        let mut found = None;
        let now = manager.now();
        for location in locations.iter().copied() {
            // `Authorization: Bearer <token>`, the common case: the token cache is asked
            // with the bytes as sent, and a hit needs no other look at them (they are then
            // exactly a verified token's text, which `extract` would return as is).
            if location == TokenLocation::Headers
                && let Some(sent) = manager.requests().header.sent_token(head.headers())
            {
                if let Some(hit) = manager.cached(sent, now) {
                    found = Some((hit, location, Some(true)));
                    break;
                }
                if let Some(token) = HeaderConfig::plain_token(sent) {
                    let (decoded, hit) = manager.verify_missed(token, now).await;
                    found = Some((decoded, location, hit));
                    break;
                }
            }
            match extract(manager, head, location, refresh) {
                Ok(raw) => {
                    let (decoded, hit) = manager.verify_shared(&raw.token, now).await;
                    let decoded = decoded.and_then(|token| {
                        if let Some(sent) = &raw.csrf {
                            check_csrf(sent, token.csrf())?;
                        }
                        Ok(token)
                    });
                    found = Some((decoded, location, hit));
                    break;
                }
                Err(e) if e.is_missing() => missing.push(e.message().to_owned()),
                Err(e) => return Err(reject(e).seen(location, None)),
            }
        }
        match found {
            Some((decoded, location, hit)) => (
                decoded.map_err(|e| reject(e).seen(location, hit))?,
                location,
                hit,
            ),
            None if req.optional => return Ok(None),
            None => return Err(reject(missing_everywhere(locations, &missing))),
        }
    };
    // From here on a refusal says where the token was and whether the cache answered.
    let reject = |e: JwtError| reject(e).seen(location, cache_hit);

    check_type_and_freshness(manager, &token, req.kind).map_err(reject)?;
    if !req.skip_revocation {
        manager.check_revocation(&token).await.map_err(reject)?;
    }
    let callbacks = manager.callbacks();
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
                let identity = token.identity();
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
        cache_hit,
        user,
        manager: manager.clone(),
    });
    let locations = kept_locations(manager, locations);
    remember(
        head,
        verified.clone(),
        refresh,
        locations,
        !req.skip_revocation,
    );
    Ok(Some(verified))
}

impl CacheEntry {
    fn manager(&self) -> &JwtManager {
        &self.verified.manager
    }

    fn locations(&self) -> &[TokenLocation] {
        match &self.locations {
            Some(locations) => locations,
            None => &self.manager().requests().order,
        }
    }

    fn matches(&self, manager: &JwtManager, refresh: bool, locations: &[TokenLocation]) -> bool {
        self.manager().is(manager) && self.refresh == refresh && *self.locations() == *locations
    }
}

/// The locations a [`CacheEntry`] keeps: `None` for the manager's own order.
fn kept_locations(
    manager: &JwtManager,
    locations: &Arc<[TokenLocation]>,
) -> Option<Arc<[TokenLocation]>> {
    let own_order = Arc::ptr_eq(locations, &manager.requests().order);
    (!own_order).then(|| locations.clone())
}

fn remember<H: RequestHead>(
    head: &mut H,
    verified: Arc<Verified>,
    refresh: bool,
    locations: Option<Arc<[TokenLocation]>>,
    revocation_checked: bool,
) {
    let entry = CacheEntry {
        refresh,
        locations,
        verified,
        revocation_checked,
    };
    // `verify` found the context before verifying, and nothing removes it in between.
    let Some(ctx) = head.extensions_mut().get_mut::<JwtContext>() else {
        return;
    };
    let Some(cache) = &mut ctx.verified else {
        ctx.verified = Some(VerifiedCache {
            first: entry,
            more: Vec::new(),
        });
        return;
    };
    let same = |e: &CacheEntry| e.matches(entry.manager(), entry.refresh, entry.locations());
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
    let parts = RequestParts {
        method: head.method(),
        uri: head.uri(),
        headers: head.headers(),
    };
    let body = || head.extensions().get::<BodyValues>();
    manager.requests().extract(location, parts, body, refresh)
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
