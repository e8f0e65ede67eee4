//! The JSON body location (`access_token` / `refresh_token` keys), and
//! [`JwtBodyLayer`], which reads the body once for it (and for the CSRF form field) and
//! hands the same bytes on to the handler.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use http::{HeaderMap, Request, Response, StatusCode};
use http_body::Body;
use http_body_util::{BodyExt, Limited};
use serde_json::Value;
use tower_layer::Layer;
use tower_service::Service;

use super::{Found, missing};
use crate::error::{ErrorKind, JwtError};
use crate::guard::JwtContext;
use crate::require::ResponseBody;

#[derive(Debug, Clone)]
pub(crate) struct JsonConfig {
    pub(crate) access_key: Box<str>,
    pub(crate) refresh_key: Box<str>,
    missing_access: Box<str>,
    missing_refresh: Box<str>,
}

const BAD_CONTENT_TYPE: &str = "Invalid content-type. Must be application/json.";

pub(crate) fn is_json(headers: &HeaderMap) -> bool {
    content_type_starts_with(headers, "application/json")
}

fn is_form(headers: &HeaderMap) -> bool {
    content_type_starts_with(headers, "application/x-www-form-urlencoded")
}

fn content_type_starts_with(headers: &HeaderMap, prefix: &str) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.len() >= prefix.len()
                && v.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
        })
}

impl JsonConfig {
    pub(crate) fn new(access_key: &str, refresh_key: &str) -> Self {
        Self {
            missing_access: format!("Missing \"{access_key}\" key in json data.").into(),
            missing_refresh: format!("Missing \"{refresh_key}\" key in json data.").into(),
            access_key: access_key.into(),
            refresh_key: refresh_key.into(),
        }
    }

    /// The token under the access (or refresh) key of a JSON object body. A body that is
    /// not a JSON object, or a key that is not a non-empty string, counts as missing.
    pub(crate) fn extract<'a>(
        &self,
        headers: &HeaderMap,
        body: Option<&'a BodyValues>,
        refresh: bool,
    ) -> Result<Found<'a>, JwtError> {
        if !is_json(headers) {
            return Err(missing(BAD_CONTENT_TYPE));
        }
        let Some(body) = body else {
            return Err(JwtError::new(
                ErrorKind::Misconfigured,
                "The json token location needs `JwtBodyLayer` in front of this route",
            ));
        };
        let (value, msg) = if refresh {
            (body.json_refresh.as_deref(), &self.missing_refresh)
        } else {
            (body.json_access.as_deref(), &self.missing_access)
        };
        match value {
            Some(v) if !v.is_empty() => Ok(Found::token(Cow::Borrowed(v))),
            _ => Err(missing(msg.to_string())),
        }
    }
}

/// What [`JwtBodyLayer`] read from the body, under a private type.
#[derive(Clone, Debug, Default)]
pub(crate) struct BodyValues {
    json_access: Option<String>,
    json_refresh: Option<String>,
    form: Vec<(String, String)>,
}

impl BodyValues {
    pub(crate) fn form_field(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

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

impl<S: fmt::Debug> fmt::Debug for JwtBodyService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtBodyService")
            .field("inner", &self.inner)
            .field("limit", &self.limit)
            .finish()
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

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
    type Future = BoxFuture<Result<Self::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let limit = self.limit;
        Box::pin(async move {
            let form = req
                .extensions()
                .get::<JwtContext>()
                .is_some_and(|c| c.manager.inner().guard.csrf.check_form)
                && is_form(req.headers());
            let json = is_json(req.headers());
            if !(json || form) {
                return inner.call(req).await.map(|r| r.map(ResponseBody::inner));
            }
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
        })
    }
}

fn read_values(parts: &http::request::Parts, bytes: &Bytes, json: bool, form: bool) -> BodyValues {
    let mut values = BodyValues::default();
    let Some(ctx) = parts.extensions.get::<JwtContext>() else {
        return values;
    };
    let guard = &ctx.manager.inner().guard;
    if json {
        // Only a JSON object counts; arrays, scalars and invalid JSON read as "no key".
        if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(bytes) {
            let take = |key: &str| map.get(key).and_then(Value::as_str).map(String::from);
            values.json_access = take(&guard.json.access_key);
            values.json_refresh = take(&guard.json.refresh_key);
        }
    }
    if form {
        let wanted = [&*guard.csrf.access_field, &*guard.csrf.refresh_field];
        for (k, v) in form_urlencoded::parse(bytes) {
            if wanted.contains(&&*k) && !values.form.iter().any(|(n, _)| *n == *k) {
                values.form.push((k.into_owned(), v.into_owned()));
            }
        }
    }
    values
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
