//! [`ImplicitRefreshLayer`]: Flask-JWT-Extended's documented "refresh an access cookie that
//! is about to expire" after-request pattern, built in.

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::header::SET_COOKIE;
use http::{Request, Response};
use time::Duration;
use tower_layer::Layer;
use tower_service::Service;

use super::body::BoxFuture;
use crate::claims::{DecodedToken, TokenType};
use crate::duration::IntoDuration;
use crate::locations::cookie_value;
use crate::manager::JwtManager;

/// For cookie apps: when a request carries a valid access cookie that expires within
/// `window`, the (successful) response also sets a new access cookie (and CSRF cookie) for
/// the same identity, with the same claims and the same freshness.
///
/// Never after logout (a response that unsets the access cookie), never for a token that is
/// revoked (checked again after the handler ran), never on an error response.
///
/// ```
/// use axum::{Router, routing::get};
/// use jwt_extended::{ImplicitRefreshLayer, JwtManager, JwtRequired, TokenLocation};
///
/// let manager = JwtManager::builder()
///     .secret("an-example-secret-of-at-least-32-bytes!")
///     .token_locations([TokenLocation::Cookies])
///     .build()
///     .unwrap();
/// let app: Router = Router::new()
///     .route("/protected", get(|_: JwtRequired| async { "ok" }))
///     .layer(ImplicitRefreshLayer::new(&manager, time::Duration::minutes(5)))
///     .layer(manager.layer());
/// ```
#[derive(Clone)]
#[must_use]
pub struct ImplicitRefreshLayer {
    manager: JwtManager,
    window: Duration,
}

impl fmt::Debug for ImplicitRefreshLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImplicitRefreshLayer")
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}

impl ImplicitRefreshLayer {
    /// Refreshes access cookies that expire within `window`.
    pub fn new(manager: &JwtManager, window: impl IntoDuration) -> Self {
        Self {
            manager: manager.clone(),
            window: window.into_time_duration(),
        }
    }
}

impl<S> Layer<S> for ImplicitRefreshLayer {
    type Service = ImplicitRefreshService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ImplicitRefreshService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service of [`ImplicitRefreshLayer`].
#[derive(Clone)]
pub struct ImplicitRefreshService<S> {
    inner: S,
    layer: ImplicitRefreshLayer,
}

impl<S: fmt::Debug> fmt::Debug for ImplicitRefreshService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImplicitRefreshService")
            .field("inner", &self.inner)
            .field("layer", &self.layer)
            .finish()
    }
}

impl<S> ImplicitRefreshService<S> {
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

impl ImplicitRefreshLayer {
    /// The request's access cookie, when it is valid and expires within the window.
    fn candidate<B>(&self, req: &Request<B>) -> Option<Arc<DecodedToken>> {
        let cookies = &self.manager.requests().cookies;
        let raw = cookie_value(req.headers(), &cookies.access_name).ok()??;
        let token = self.manager.decode_token(raw).ok()?;
        let exp = token.expires_at()?;
        let now = self.manager.now_f64();
        let expiring = (exp as f64) <= now + self.window.as_seconds_f64();
        (expiring && token.token_type().is_access()).then(|| Arc::new(token))
    }
}

/// Whether the response expires the access cookie (a logout).
fn unsets_access_cookie<B>(res: &Response<B>, name: &str) -> bool {
    res.headers().get_all(SET_COOKIE).iter().any(|v| {
        v.to_str()
            .ok()
            .and_then(|s| cookie::Cookie::parse(s).ok())
            .is_some_and(|c| c.name() == name)
    })
}

impl<S, B, ResBody> Service<Request<B>> for ImplicitRefreshService<S>
where
    S: Service<Request<B>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send,
    B: Send + 'static,
    ResBody: Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Response<ResBody>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let candidate = self.layer.candidate(&req);
        let manager = self.layer.manager.clone();
        Box::pin(async move {
            let mut res = inner.call(req).await?;
            let Some(token) = candidate else {
                return Ok(res);
            };
            let name = &manager.requests().cookies.access_name;
            let ok = res.status().is_success() || res.status().is_redirection();
            if !ok || unsets_access_cookie(&res, name) {
                return Ok(res);
            }
            if manager.check_revocation(&token).await.is_err() {
                return Ok(res);
            }
            let cookies = manager
                .issuer()
                .reissue(&token, TokenType::Access)
                .fresh_value(token.fresh())
                .create()
                .and_then(|t| manager.access_cookies(&t));
            match cookies {
                Ok(c) => c.apply(&mut res),
                Err(e) => tracing::debug!(kind = ?e.kind(), "implicit refresh skipped"),
            }
            Ok(res)
        })
    }
}
