//! [`JwtBodyLayer`]: reads the request body once, for the `json` token location and the CSRF
//! form field, and hands the same bytes on to the handler.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use http::{Request, Response, StatusCode};
use http_body::Body;
use http_body_util::{BodyExt, Limited};
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use super::body::{BoxFuture, ResponseBody};
use crate::guard::JwtContext;
use crate::locations::{BodyValues, is_form, is_json};

/// Reads the request body once, for the `json` token location (a JSON body's
/// `access_token` / `refresh_token` keys) and for the CSRF form field
/// (`csrf_check_form`), then hands the same bytes to the inner service, so the handler
/// still gets the whole body.
///
/// Only JSON bodies (and, with `csrf_check_form`, form bodies) are read; others pass through
/// untouched. A body larger than the limit (64 KiB by default) is answered `413`. Put it
/// inside [`JwtLayer`](crate::JwtLayer):
///
/// ```
/// use axum::{Router, routing::post};
/// use jwt_extended::{JwtBodyLayer, JwtManager, JwtRequired, TokenLocation};
///
/// let manager = JwtManager::builder()
///     .secret("an-example-secret-of-at-least-32-bytes!")
///     .token_locations([TokenLocation::Headers, TokenLocation::Json])
///     .build()
///     .unwrap();
/// let app: Router = Router::new()
///     .route("/protected", post(|_: JwtRequired| async { "ok" }))
///     .layer(JwtBodyLayer::new())
///     .layer(manager.layer());
/// ```
#[derive(Debug, Clone, Copy)]
#[must_use]
pub struct JwtBodyLayer {
    limit: usize,
}

impl Default for JwtBodyLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl JwtBodyLayer {
    /// A layer reading bodies of up to 64 KiB.
    pub const fn new() -> Self {
        Self { limit: 64 * 1024 }
    }

    /// Sets the largest body read, in bytes.
    pub const fn limit(mut self, bytes: usize) -> Self {
        self.limit = bytes;
        self
    }
}

impl<S> Layer<S> for JwtBodyLayer {
    type Service = JwtBodyService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        JwtBodyService {
            inner,
            limit: self.limit,
        }
    }
}

/// The service of [`JwtBodyLayer`].
#[derive(Clone)]
pub struct JwtBodyService<S> {
    inner: S,
    limit: usize,
}

impl<S> JwtBodyService<S> {
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

impl<S: fmt::Debug> fmt::Debug for JwtBodyService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtBodyService")
            .field("inner", &self.inner)
            .field("limit", &self.limit)
            .finish()
    }
}

impl<S, B, ResBody> Service<Request<B>> for JwtBodyService<S>
where
    S: Service<Request<B>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Send,
    B: Body + From<Bytes> + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    ResBody: Body<Data = Bytes> + Send + 'static,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = S::Error;
    type Future = JwtBodyFuture<S::Future, ResBody, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let form = req
            .extensions()
            .get::<JwtContext>()
            .is_some_and(|c| c.manager().requests().reads_form())
            && is_form(req.headers());
        let json = is_json(req.headers());
        if !(json || form) {
            // Nothing to read: the inner service's own future, without a box.
            return JwtBodyFuture {
                kind: FutureKind::Inner {
                    future: self.inner.call(req),
                },
            };
        }
        // Call the instance that was made ready (tower's cloning rule).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let limit = self.limit;
        let future = Box::pin(async move {
            let declared = req
                .headers()
                .get(CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            if declared.is_some_and(|n| n > limit as u64) {
                return Ok(too_large());
            }
            let (mut parts, body) = req.into_parts();
            let bytes = match Limited::new(body, limit).collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(_) => return Ok(too_large()),
            };
            let values = read_values(&parts, &bytes, json, form);
            parts.extensions.insert(values);
            let req = Request::from_parts(parts, B::from(bytes));
            inner.call(req).await.map(|r| r.map(ResponseBody::inner))
        });
        JwtBodyFuture {
            kind: FutureKind::Read { future },
        }
    }
}

pin_project! {
    /// The response future of [`JwtBodyService`]: the inner service's own future for a
    /// request whose body is not read, a boxed one that reads the body first otherwise.
    pub struct JwtBodyFuture<F, ResBody, E> {
        #[pin]
        kind: FutureKind<F, ResBody, E>,
    }
}

pin_project! {
    #[project = FutureProj]
    enum FutureKind<F, ResBody, E> {
        Inner {
            #[pin]
            future: F,
        },
        Read {
            future: BoxFuture<Result<Response<ResponseBody<ResBody>>, E>>,
        },
    }
}

impl<F, ResBody, E> Future for JwtBodyFuture<F, ResBody, E>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
{
    type Output = Result<Response<ResponseBody<ResBody>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            FutureProj::Inner { future } => future
                .poll(cx)
                .map(|r| r.map(|res| res.map(ResponseBody::inner))),
            FutureProj::Read { future } => future.as_mut().poll(cx),
        }
    }
}

impl<F, ResBody, E> fmt::Debug for JwtBodyFuture<F, ResBody, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reads = matches!(self.kind, FutureKind::Read { .. });
        f.debug_struct("JwtBodyFuture")
            .field("reads_body", &reads)
            .finish()
    }
}

/// The values the guards need from the body, read with the settings of the request's
/// manager (none without a `JwtLayer` in front).
fn read_values(parts: &http::request::Parts, bytes: &Bytes, json: bool, form: bool) -> BodyValues {
    match parts.extensions.get::<JwtContext>() {
        Some(ctx) => ctx.manager().requests().read_body(bytes, json, form),
        None => BodyValues::default(),
    }
}

fn too_large<B>() -> Response<ResponseBody<B>> {
    let body = Bytes::from_static(br#"{"msg":"Request body too large"}"#);
    let mut res = Response::new(ResponseBody::rejection(Some(body)));
    *res.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
    res.headers_mut().insert(
        CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    res
}
