//! [`JwtLayer`]: adds the manager's context to every request, for the guards; and
//! [`JwtManager::layer`].

use std::sync::Arc;
use std::task::{Context, Poll};

use http::Request;
use tower_layer::Layer;
use tower_service::Service;

use crate::guard::{JwtContext, LayerSettings};
use crate::locations::TokenLocation;
use crate::manager::JwtManager;

impl JwtManager {
    /// A [`JwtLayer`] adding this manager to every request, for the guards.
    pub fn layer(&self) -> JwtLayer {
        JwtLayer::new(self.clone())
    }
}

/// Adds a [`JwtManager`] to every request so that the guards can find it.
///
/// The layer rejects nothing: guards do, per route, since routes differ in what they
/// require (access or refresh, fresh, optional). Verification is lazy: routes without a
/// guard pay nothing but an `Arc` clone. The inner service's error type is kept.
///
/// Place it inside tracing and CORS (so preflight requests are answered before it) and
/// outside the routes: `Trace → CORS → SetSensitiveHeaders → JwtLayer → routes`.
///
/// ```
/// use std::convert::Infallible;
/// use http::{Request, Response};
/// use jwt_extended::{JwtLayer, JwtManager, JwtRequired};
/// use tower::{ServiceBuilder, ServiceExt};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let manager = JwtManager::builder().secret("an-example-secret-of-at-least-32-bytes!").build()?;
/// let svc = ServiceBuilder::new()
///     .layer(JwtLayer::new(manager.clone()))
///     .service_fn(|mut req: Request<()>| async move {
///         let res = match JwtRequired::from_request(&mut req).await {
///             Ok(jwt) => Response::new(format!("hello {}", jwt.subject().unwrap_or("?"))),
///             Err(rejection) => rejection.into_response().map(|b| String::from_utf8_lossy(&b).into_owned()),
///         };
///         Ok::<_, Infallible>(res)
///     });
///
/// let token = manager.create_access_token("alice")?;
/// let req = Request::get("/").header("authorization", format!("Bearer {token}")).body(())?;
/// assert_eq!(svc.clone().oneshot(req).await?.into_body(), "hello alice");
/// let res = svc.oneshot(Request::get("/").body(())?).await?;
/// assert_eq!(res.status(), 401);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct JwtLayer {
    manager: JwtManager,
    locations: Option<Arc<[TokenLocation]>>,
}

impl JwtLayer {
    /// A layer for `manager` (also [`JwtManager::layer`]).
    pub fn new(manager: JwtManager) -> Self {
        Self {
            manager,
            locations: None,
        }
    }

    /// Overrides the token locations for the routes under this layer (FJE's per-route
    /// `locations=`). An inner `JwtLayer` overrides an outer one.
    pub fn locations(mut self, locations: impl IntoIterator<Item = TokenLocation>) -> Self {
        self.locations = Some(locations.into_iter().collect());
        self
    }
}

impl<S> Layer<S> for JwtLayer {
    type Service = JwtService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        JwtService {
            inner,
            context: Arc::new(LayerSettings {
                manager: self.manager.clone(),
                locations: self.locations.clone(),
            }),
        }
    }
}

/// The service of [`JwtLayer`].
#[derive(Clone)]
pub struct JwtService<S> {
    inner: S,
    context: Arc<LayerSettings>,
}

impl<S: std::fmt::Debug> std::fmt::Debug for JwtService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtService")
            .field("inner", &self.inner)
            .field("manager", &self.context.manager)
            .finish()
    }
}

impl<S> JwtService<S> {
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

impl<S, B> Service<Request<B>> for JwtService<S>
where
    S: Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        JwtContext::install(req.extensions_mut(), &self.context);
        self.inner.call(req)
    }
}
