//! [`RequireJwtLayer`]: a route layer that runs a guard before the inner service, for
//! hyper and tonic services (and axum routes that prefer a layer to an extractor).

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use pin_project_lite::pin_project;
use serde_json::Value;
use tower_layer::Layer;
use tower_service::Service;

use super::body::{BoxFuture, ResponseBody};
use crate::error::{ErrorKind, JwtError};
use crate::guard::{
    AnyJwtRequired, FreshJwtRequired, JwtContext, JwtRequired, Kind, LayerSettings, NoClaims,
    OptionalJwt, RefreshJwtRequired, Rejection, Requirement, seen, verify,
};
use crate::locations::TokenLocation;
use crate::manager::JwtManager;
use crate::scope::{RequiredRoles, RequiredScopes};
use crate::telemetry::{self, Seen};

type ClaimPredicate = dyn Fn(Option<&Value>) -> bool + Send + Sync;

#[derive(Clone)]
struct ClaimCheck {
    name: Arc<str>,
    predicate: Arc<ClaimPredicate>,
    message: Cow<'static, str>,
}

/// Runs a guard before the inner service: the request reaches the service only when the
/// guard passes, with the guard's value ([`JwtRequired`], [`FreshJwtRequired`],
/// [`RefreshJwtRequired`], [`AnyJwtRequired`] or [`OptionalJwt`]) in its extensions.
/// A refused request gets the manager's error response and never reaches the service.
///
/// `OPTIONS` requests pass through without identity (as in Flask-JWT-Extended). The layer
/// verifies with its own manager: it adds that manager's context itself when no
/// [`JwtLayer`](crate::JwtLayer) did, or when the `JwtLayer` in front belongs to another
/// manager (for this service and the ones inside it, as an inner `JwtLayer` replaces an
/// outer one).
///
/// Claim requirements answer `403`:
///
/// ```
/// use std::convert::Infallible;
/// use http::{Request, Response};
/// use http_body_util::Full;
/// use bytes::Bytes;
/// use jwt_extended::{JwtManager, JwtRequired, RequireJwtLayer};
/// use tower::{ServiceBuilder, ServiceExt};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let manager = JwtManager::builder().secret("an-example-secret-of-at-least-32-bytes!").build()?;
/// let admin_only = RequireJwtLayer::access(&manager)
///     .require_claim("is_admin", |v| v == Some(&serde_json::json!(true)), "Admins only!");
/// let svc = ServiceBuilder::new().layer(admin_only).service_fn(|req: Request<Full<Bytes>>| async move {
///     let jwt = req.extensions().get::<JwtRequired>().expect("set by RequireJwtLayer");
///     Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(format!("hi {}", jwt.subject().unwrap_or("?"))))))
/// });
///
/// let user = manager.access_token("bob").claim("is_admin", false).create()?;
/// let req = Request::delete("/admin").header("authorization", format!("Bearer {user}")).body(Full::default())?;
/// assert_eq!(svc.clone().oneshot(req).await?.status(), 403);
///
/// let admin = manager.access_token("ann").claim("is_admin", true).create()?;
/// let req = Request::delete("/admin").header("authorization", format!("Bearer {admin}")).body(Full::default())?;
/// assert_eq!(svc.oneshot(req).await?.status(), 200);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
#[must_use]
pub struct RequireJwtLayer {
    manager: JwtManager,
    /// What this layer puts into requests that carry no context of its manager.
    context: Arc<LayerSettings>,
    requirement: Requirement,
    claims: Arc<[ClaimCheck]>,
    scopes: Option<RequiredScopes>,
    roles: Option<RequiredRoles>,
}

impl fmt::Debug for RequireJwtLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireJwtLayer")
            .field("requirement", &self.requirement)
            .field(
                "claims",
                &self.claims.iter().map(|c| &*c.name).collect::<Vec<_>>(),
            )
            .field("scopes", &self.scopes)
            .field("roles", &self.roles)
            .finish_non_exhaustive()
    }
}

impl RequireJwtLayer {
    fn new(manager: &JwtManager, requirement: Requirement) -> Self {
        Self {
            manager: manager.clone(),
            context: Arc::new(LayerSettings {
                manager: manager.clone(),
                locations: None,
            }),
            requirement,
            claims: Arc::new([]),
            scopes: None,
            roles: None,
        }
    }

    /// Requires an access token; inserts [`JwtRequired`].
    pub fn access(manager: &JwtManager) -> Self {
        Self::new(manager, Requirement::new(Kind::Access))
    }

    /// Requires a fresh access token; inserts [`FreshJwtRequired`].
    pub fn fresh(manager: &JwtManager) -> Self {
        Self::new(manager, Requirement::new(Kind::Fresh))
    }

    /// Requires a refresh token; inserts [`RefreshJwtRequired`].
    pub fn refresh(manager: &JwtManager) -> Self {
        Self::new(manager, Requirement::new(Kind::Refresh))
    }

    /// Requires a token of any type; inserts [`AnyJwtRequired`].
    pub fn any(manager: &JwtManager) -> Self {
        Self::new(manager, Requirement::new(Kind::Any))
    }

    /// Accepts requests without a token; inserts [`OptionalJwt`]. A bad token is still
    /// refused.
    pub fn optional(manager: &JwtManager) -> Self {
        Self::new(
            manager,
            Requirement {
                optional: true,
                ..Requirement::new(Kind::Access)
            },
        )
    }

    /// Overrides the token locations for this route, for this layer's guard and for the
    /// guards (extractors) behind it, which then reuse this layer's verification: a handler
    /// behind `RequireJwtLayer::refresh(&m).locations([TokenLocation::Json])` that also takes a
    /// `RefreshJwtRequired` gets the same token, never a second, different verdict.
    pub fn locations(mut self, locations: impl IntoIterator<Item = TokenLocation>) -> Self {
        let locations: Arc<[TokenLocation]> = locations.into_iter().collect();
        self.requirement.locations = Some(locations.clone());
        // Guards behind this layer search the same locations (one request, one verdict).
        self.context = Arc::new(LayerSettings {
            manager: self.manager.clone(),
            locations: Some(locations),
        });
        self
    }

    /// Skips the revocation check (`skip_revocation_check=True`). A guard (extractor)
    /// behind the layer still checks revocation, as it asks for it: skipping is never
    /// passed on.
    pub fn skip_revocation_check(mut self) -> Self {
        self.requirement.skip_revocation = true;
        self
    }

    /// Also requires `predicate` to hold for the claim `name` (given `None` when the token
    /// lacks it), answering `403` with `message` otherwise. On an optional route the check
    /// applies only when a token was sent.
    pub fn require_claim(
        mut self,
        name: impl Into<Arc<str>>,
        predicate: impl Fn(Option<&Value>) -> bool + Send + Sync + 'static,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        let mut claims: Vec<ClaimCheck> = self.claims.iter().cloned().collect();
        claims.push(ClaimCheck {
            name: name.into(),
            predicate: Arc::new(predicate),
            message: message.into(),
        });
        self.claims = claims.into();
        self
    }
}

impl RequireJwtLayer {
    /// Also requires OAuth scopes (see [`crate::scope`]), answering `403`
    /// ([`ErrorKind::InsufficientScope`]) otherwise. Replaces an earlier scope requirement.
    /// On an optional route the check applies only when a token was sent.
    ///
    /// ```
    /// use jwt_extended::{JwtManager, RequireJwtLayer, scope::RequiredScopes, scope::ScopeSet, scopes};
    ///
    /// scopes!(pub ReadItems = "read:items");
    ///
    /// let manager = JwtManager::builder().secret("an-example-secret-of-at-least-32-bytes!").build()?;
    /// let read = RequireJwtLayer::access(&manager).require_scopes(RequiredScopes::of::<ReadItems>());
    /// let write = RequireJwtLayer::fresh(&manager).require_scopes(RequiredScopes::all_of(["write:items"]));
    /// # Ok::<(), jwt_extended::ConfigError>(())
    /// ```
    pub fn require_scopes(mut self, scopes: RequiredScopes) -> Self {
        self.scopes = Some(scopes);
        self
    }

    /// Also requires roles at a claim path (see [`crate::scope`]), answering `403`
    /// ([`ErrorKind::Forbidden`]) otherwise. Replaces an earlier role requirement. On an
    /// optional route the check applies only when a token was sent.
    ///
    /// ```
    /// use jwt_extended::{scope::ClaimPath, JwtManager, RequireJwtLayer, scope::RequiredRoles};
    ///
    /// let manager = JwtManager::builder().secret("an-example-secret-of-at-least-32-bytes!").build()?;
    /// let admins = RequireJwtLayer::access(&manager)
    ///     .require_roles(RequiredRoles::any_of(ClaimPath::keycloak_realm(), ["admin"]));
    /// # Ok::<(), jwt_extended::ConfigError>(())
    /// ```
    pub fn require_roles(mut self, roles: RequiredRoles) -> Self {
        self.roles = Some(roles);
        self
    }
}

impl<S> Layer<S> for RequireJwtLayer {
    type Service = RequireJwtService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequireJwtService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service of [`RequireJwtLayer`].
#[derive(Clone)]
pub struct RequireJwtService<S> {
    inner: S,
    layer: RequireJwtLayer,
}

impl<S: fmt::Debug> fmt::Debug for RequireJwtService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireJwtService")
            .field("inner", &self.inner)
            .field("layer", &self.layer)
            .finish()
    }
}

impl<S> RequireJwtService<S> {
    /// A reference to the inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// A mutable reference to the inner service.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

type VerifyFuture<B> = BoxFuture<Result<Request<B>, Response<Bytes>>>;

impl<S, B, ResBody> Service<Request<B>> for RequireJwtService<S>
where
    S: Service<Request<B>, Response = Response<ResBody>> + Clone + Send + 'static,
    B: Send + 'static,
    ResBody: Body<Data = Bytes>,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S, B>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        // Call the instance that was made ready (tower's cloning rule).
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        // Verify with this layer's manager. A `JwtLayer` of the same manager in front keeps
        // its context (and its location override); another manager's is replaced, for this
        // service and the ones it calls, as an inner `JwtLayer` replaces an outer one.
        // A location override of this layer becomes the context's, so that a guard run
        // again behind it (an extractor in the handler) searches the same locations and
        // reuses this verification: one request, one verdict.
        let ours = req
            .extensions()
            .get::<JwtContext>()
            .is_some_and(|ctx| ctx.manager().is(&self.layer.manager));
        if !ours || self.layer.requirement.locations.is_some() {
            JwtContext::install(req.extensions_mut(), &self.layer.context);
        }
        let layer = self.layer.clone();
        let fut: VerifyFuture<B> = Box::pin(async move {
            match authorize(&layer, &mut req).await {
                Ok(()) => Ok(req),
                Err(rejection) => Err(rejection.into_logged().into_response()),
            }
        });
        ResponseFuture {
            state: State::Verify {
                fut,
                inner: Some(inner),
            },
        }
    }
}

async fn authorize<B: Send>(
    layer: &RequireJwtLayer,
    req: &mut Request<B>,
) -> Result<(), Rejection> {
    let req_ = &layer.requirement;
    let verified = verify(req, req_).await?;
    let Some(verified) = verified else {
        if req_.optional && req.method() != http::Method::OPTIONS {
            telemetry::accepted(Seen::default());
            req.extensions_mut().insert(OptionalJwt::<NoClaims>(None));
        }
        return Ok(());
    };
    let refuse = |error: JwtError| {
        Rejection::new(
            error.with_token(verified.token.clone()),
            Some(verified.responder().clone()),
        )
        .seen(verified.location, verified.cache_hit)
    };
    for check in layer.claims.iter() {
        if !(check.predicate)(verified.token.claim(&check.name)) {
            return Err(refuse(JwtError::new(
                ErrorKind::Forbidden,
                check.message.clone(),
            )));
        }
    }
    if let Some(scopes) = &layer.scopes {
        scopes.check(&verified.token).map_err(refuse)?;
    }
    if let Some(roles) = &layer.roles {
        roles.check(&verified.token).map_err(refuse)?;
    }
    telemetry::accepted(seen(&verified));
    let ext = req.extensions_mut();
    match (req_.kind, req_.optional) {
        (_, true) => {
            ext.insert(OptionalJwt(Some(JwtRequired::<NoClaims>::from_verified(
                verified,
            )?)));
        }
        (Kind::Access, false) => {
            ext.insert(JwtRequired::<NoClaims>::from_verified(verified)?);
        }
        (Kind::Fresh, false) => {
            ext.insert(FreshJwtRequired::<NoClaims>::from_verified(verified)?);
        }
        (Kind::Refresh, false) => {
            ext.insert(RefreshJwtRequired::<NoClaims>::from_verified(verified)?);
        }
        (Kind::Any, false) => {
            ext.insert(AnyJwtRequired::<NoClaims>::from_verified(verified)?);
        }
    }
    Ok(())
}

pin_project! {
    /// The response future of [`RequireJwtService`].
    pub struct ResponseFuture<S: Service<Request<B>>, B> {
        #[pin]
        state: State<S, B>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<S: Service<Request<B>>, B> {
        Verify {
            fut: VerifyFuture<B>,
            inner: Option<S>,
        },
        Inner {
            #[pin]
            fut: S::Future,
        },
    }
}

impl<S, B, ResBody> Future for ResponseFuture<S, B>
where
    S: Service<Request<B>, Response = Response<ResBody>>,
{
    type Output = Result<Response<ResponseBody<ResBody>>, S::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            match this.state.as_mut().project() {
                StateProj::Verify { fut, inner } => match ready!(fut.as_mut().poll(cx)) {
                    Ok(req) => {
                        let Some(mut svc) = inner.take() else {
                            // Polled again after completion: nothing left to call.
                            return Poll::Ready(Ok(ResponseBody::error_response(
                                http::StatusCode::INTERNAL_SERVER_ERROR,
                            )));
                        };
                        let fut = svc.call(req);
                        this.state.set(State::Inner { fut });
                    }
                    Err(res) => {
                        return Poll::Ready(Ok(res.map(|b| ResponseBody::rejection(Some(b)))));
                    }
                },
                StateProj::Inner { fut } => {
                    return fut.poll(cx).map_ok(|res| res.map(ResponseBody::inner));
                }
            }
        }
    }
}
