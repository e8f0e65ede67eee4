//! Error responses: one trait, [`ErrorResponder`], turns every [`JwtError`] into an HTTP
//! response (Flask-JWT-Extended's expired / invalid / unauthorized / revoked / needs-fresh /
//! user-lookup / verification-failed loaders in one place).

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{HeaderValue, Response, StatusCode};

use crate::error::{ErrorKind, JwtError};

/// The HTTP answer to `error` outside a guard (`JwtManager::error_response`, `IntoResponse`,
/// `Response::from`): from the responder of the manager that produced it, or the default
/// one. A creation or configuration failure is a `500` that tells the client nothing more
/// (`Internal Server Error`); its message is logged instead.
pub(crate) fn error_answer(
    error: &JwtError,
    responder: Option<&dyn ErrorResponder>,
) -> Response<Bytes> {
    let internal = matches!(
        error.kind(),
        ErrorKind::TokenCreation | ErrorKind::Misconfigured
    );
    let public;
    let shown = if internal {
        tracing::error!(
            target: "jwt_extended::error",
            kind = ?error.kind(),
            "{}",
            error.message()
        );
        public = JwtError::new(error.kind(), "Internal Server Error");
        &public
    } else {
        error
    };
    match (responder, error.answer()) {
        (Some(r), _) => r.respond(shown),
        (None, Some(answer)) => answer(shown),
        (None, None) => DefaultErrorResponder::default().respond(shown),
    }
}

/// The error's answer, as the guards give it (see
/// [`JwtManager::error_response`](crate::JwtManager::error_response)), for any body made
/// from [`Bytes`]: `Response::from(error)` in a hyper handler. A creation failure is a
/// `500 Internal Server Error` without detail.
impl<B: From<Bytes>> From<JwtError> for Response<B> {
    fn from(error: JwtError) -> Self {
        error_answer(&error, None).map(B::from)
    }
}

/// Turns a [`JwtError`] into the response sent to the client: every answer at once.
///
/// To change the answer to one kind of error and keep the default for the rest (Flask's
/// `@jwt.expired_token_loader` and the other error loaders), use
/// [`JwtManagerBuilder::on_error`](crate::JwtManagerBuilder::on_error) instead.
///
/// Implemented by closures `Fn(&JwtError) -> http::Response<Bytes>`; the default is
/// [`DefaultErrorResponder`].
///
/// ```
/// use bytes::Bytes;
/// use jwt_extended::{JwtError, JwtManager};
///
/// let manager = JwtManager::builder()
///     .secret("an-example-secret-of-at-least-32-bytes!")
///     .error_responder(|err: &JwtError| {
///         http::Response::builder()
///             .status(err.status())
///             .body(Bytes::from(format!("auth error: {}", err.message())))
///             .unwrap()
///     })
///     .build()?;
/// # Ok::<(), jwt_extended::ConfigError>(())
/// ```
pub trait ErrorResponder: Send + Sync + 'static {
    /// The response for `error`.
    fn respond(&self, error: &JwtError) -> Response<Bytes>;
}

impl<F> ErrorResponder for F
where
    F: Fn(&JwtError) -> Response<Bytes> + Send + Sync + 'static,
{
    fn respond(&self, error: &JwtError) -> Response<Bytes> {
        self(error)
    }
}

/// Which status codes and `WWW-Authenticate` values the default responder uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ErrorStyle {
    /// Flask-JWT-Extended's statuses (401, 422, 400, 503), plus `WWW-Authenticate: Bearer`
    /// on every 401.
    #[default]
    Flask,
    /// RFC 6750: every token problem is `401` with
    /// `WWW-Authenticate: Bearer error="invalid_token", error_description="..."` (a missing
    /// token gets a bare `Bearer` challenge); wrong token type, freshness, claim and claims
    /// verification failures are `403` with `error="insufficient_scope"` (and
    /// `scope="<required scopes>"` when a scope guard refused the token). No 422.
    Rfc6750,
}

/// The default [`ErrorResponder`]: a JSON body `{"msg": "<message>"}` (the key is
/// configurable, Flask-JWT-Extended's `JWT_ERROR_MESSAGE_KEY`) with the status of the
/// chosen [`ErrorStyle`].
///
/// ```
/// use jwt_extended::{DefaultErrorResponder, ErrorKind, ErrorResponder, ErrorStyle, JwtError};
///
/// let responder = DefaultErrorResponder::new("msg", ErrorStyle::Flask);
/// let res = responder.respond(&JwtError::new(ErrorKind::Expired, "Token has expired"));
/// assert_eq!(res.status(), 401);
/// assert_eq!(res.headers()["www-authenticate"], "Bearer");
/// assert_eq!(res.body().as_ref(), br#"{"msg":"Token has expired"}"#);
/// ```
#[derive(Clone)]
pub struct DefaultErrorResponder {
    key: Arc<str>,
    style: ErrorStyle,
}

impl fmt::Debug for DefaultErrorResponder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DefaultErrorResponder")
            .field("key", &self.key)
            .field("style", &self.style)
            .finish()
    }
}

impl Default for DefaultErrorResponder {
    fn default() -> Self {
        Self::new("msg", ErrorStyle::Flask)
    }
}

impl DefaultErrorResponder {
    /// A responder writing the message under `key`, in `style`.
    pub fn new(key: impl Into<Arc<str>>, style: ErrorStyle) -> Self {
        Self {
            key: key.into(),
            style,
        }
    }

    /// The status this responder gives `error`.
    pub fn status_for(&self, error: &JwtError) -> StatusCode {
        match self.style {
            ErrorStyle::Flask => error.status(),
            ErrorStyle::Rfc6750 => match error.kind() {
                ErrorKind::WrongTokenType
                | ErrorKind::FreshRequired
                | ErrorKind::Forbidden
                | ErrorKind::InsufficientScope
                | ErrorKind::ClaimsVerification => StatusCode::FORBIDDEN,
                ErrorKind::Unavailable | ErrorKind::TokenCreation | ErrorKind::Misconfigured => {
                    error.status()
                }
                _ => StatusCode::UNAUTHORIZED,
            },
        }
    }
}

impl ErrorResponder for DefaultErrorResponder {
    fn respond(&self, error: &JwtError) -> Response<Bytes> {
        let status = self.status_for(error);
        let mut body = serde_json::Map::with_capacity(1);
        body.insert(
            self.key.to_string(),
            serde_json::Value::String(error.message().to_owned()),
        );
        json_answer(status, &body, self.style, error)
    }
}

/// A JSON error answer: the body, `Content-Type: application/json`, and the
/// `WWW-Authenticate` challenge of `style` for `status`.
fn json_answer(
    status: StatusCode,
    body: &impl serde::Serialize,
    style: ErrorStyle,
    error: &JwtError,
) -> Response<Bytes> {
    let body = serde_json::to_vec(body).unwrap_or_default();
    let mut res = Response::new(Bytes::from(body));
    *res.status_mut() = status;
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let challenge = match (style, status) {
        (ErrorStyle::Flask, StatusCode::UNAUTHORIZED) => Some(HeaderValue::from_static("Bearer")),
        (ErrorStyle::Rfc6750, StatusCode::UNAUTHORIZED) if error.is_missing() => {
            Some(HeaderValue::from_static("Bearer"))
        }
        (ErrorStyle::Rfc6750, StatusCode::UNAUTHORIZED) => {
            Some(challenge("invalid_token", error.message(), None))
        }
        (ErrorStyle::Rfc6750, StatusCode::FORBIDDEN) => Some(challenge(
            "insufficient_scope",
            error.message(),
            error.required_scope(),
        )),
        _ => None,
    };
    if let Some(value) = challenge {
        res.headers_mut().insert(WWW_AUTHENTICATE, value);
    }
    res
}

/// An application's answer for one [`ErrorKind`]
/// ([`JwtManagerBuilder::on_error`](crate::JwtManagerBuilder::on_error)): a status and a JSON
/// body.
pub(crate) type KindAnswer = dyn Fn(&JwtError) -> (StatusCode, serde_json::Value) + Send + Sync;

/// The application's answers for some kinds of error over the responder for the rest.
pub(crate) struct KindAnswers {
    pub(crate) answers: Vec<(ErrorKind, Arc<KindAnswer>)>,
    pub(crate) fallback: Arc<dyn ErrorResponder>,
    pub(crate) style: ErrorStyle,
}

impl ErrorResponder for KindAnswers {
    fn respond(&self, error: &JwtError) -> Response<Bytes> {
        // The last answer given for a kind wins.
        match self.answers.iter().rev().find(|(k, _)| *k == error.kind()) {
            Some((_, answer)) => {
                let (status, body) = answer(error);
                json_answer(status, &body, self.style, error)
            }
            None => self.fallback.respond(error),
        }
    }
}

/// `Bearer error="<code>", error_description="<desc>"` (and `, scope="<scope>"` for a
/// missing scope), the values reduced to printable ASCII without quotes or backslashes
/// (RFC 6750 §3).
fn challenge(code: &str, description: &str, scope: Option<&str>) -> HeaderValue {
    let clean = |text: &str| -> String {
        text.chars()
            .filter(|c| (' '..='~').contains(c) && *c != '"' && *c != '\\')
            .collect()
    };
    let mut value = format!(
        "Bearer error=\"{code}\", error_description=\"{}\"",
        clean(description)
    );
    if let Some(scope) = scope {
        value.push_str(&format!(", scope=\"{}\"", clean(scope)));
    }
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("Bearer"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6750_style() {
        let r = DefaultErrorResponder::new("msg", ErrorStyle::Rfc6750);
        let res = r.respond(&JwtError::new(
            ErrorKind::InvalidToken,
            "Signature verification failed",
        ));
        assert_eq!(res.status(), 401);
        assert_eq!(
            res.headers()[WWW_AUTHENTICATE],
            "Bearer error=\"invalid_token\", error_description=\"Signature verification failed\""
        );
        let res = r.respond(&JwtError::new(
            ErrorKind::FreshRequired,
            "Fresh token required",
        ));
        assert_eq!(res.status(), 403);
        let res = r.respond(&JwtError::new(
            ErrorKind::Missing,
            "Missing Authorization Header",
        ));
        assert_eq!(res.headers()[WWW_AUTHENTICATE], "Bearer");
        let res = r.respond(&JwtError::new(
            ErrorKind::UserLookup,
            "Error loading the user \"x\"\u{7}é",
        ));
        assert_eq!(
            res.headers()[WWW_AUTHENTICATE],
            "Bearer error=\"invalid_token\", error_description=\"Error loading the user x\""
        );
    }

    #[test]
    fn custom_key() {
        let r = DefaultErrorResponder::new("message", ErrorStyle::Flask);
        let res = r.respond(&JwtError::new(
            ErrorKind::InvalidToken,
            "Not enough segments",
        ));
        assert_eq!(res.status(), 422);
        assert!(res.headers().get(WWW_AUTHENTICATE).is_none());
        assert_eq!(res.body().as_ref(), br#"{"message":"Not enough segments"}"#);
    }
}
