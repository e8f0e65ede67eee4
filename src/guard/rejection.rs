//! [`JwtRejection`]: why a guard refused a request, and the response for it.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http::Response;

use crate::error::JwtError;
use crate::locations::TokenLocation;
use crate::response::{DefaultErrorResponder, ErrorResponder};
use crate::telemetry::{self, Seen};

/// A guard's failure: the error, and the responder that turns it into a response.
pub(crate) struct Rejection {
    error: JwtError,
    responder: Option<Arc<dyn ErrorResponder>>,
    location: Option<TokenLocation>,
    cache_hit: Option<bool>,
}

impl Rejection {
    pub(crate) fn new(error: JwtError, responder: Option<Arc<dyn ErrorResponder>>) -> Self {
        Self {
            error,
            responder,
            location: None,
            cache_hit: None,
        }
    }

    /// Where the refused token was found, and whether the token cache answered (for the
    /// verification event).
    pub(crate) fn seen(mut self, location: TokenLocation, cache_hit: Option<bool>) -> Self {
        self.location = Some(location);
        self.cache_hit = cache_hit;
        self
    }

    /// The public rejection, recorded: every refused verification is logged (and counted)
    /// here, once, as it leaves the crate (fixed fields only, never the token or a claim).
    pub(crate) fn into_logged(self) -> JwtRejection {
        telemetry::refused(
            &self.error,
            Seen {
                token: None,
                location: self.location,
                cache_hit: self.cache_hit,
            },
        );
        JwtRejection {
            error: self.error,
            responder: self.responder,
        }
    }
}

/// Why a guard refused a request. Turn it into a response with
/// [`into_response`](Self::into_response); in axum it is `IntoResponse`, and any
/// `http::Response<B>` whose body is made from [`Bytes`] (`Full<Bytes>`, axum's `Body`, ...)
/// converts from it with `From`.
///
/// The response comes from the manager's [`ErrorResponder`]: Flask-JWT-Extended's statuses
/// and `{"msg": ...}` bodies by default.
///
/// In a plain hyper handler, run the guard with `?` and turn the error into its response
/// once, where the handler is called:
///
/// ```
/// use std::convert::Infallible;
/// use bytes::Bytes;
/// use http::{Request, Response};
/// use http_body_util::Full;
/// use jwt_extended::{JwtLayer, JwtManager, JwtRejection, JwtRequired};
/// use tower::{ServiceBuilder, ServiceExt};
///
/// async fn protected(mut req: Request<Full<Bytes>>) -> Result<Response<Full<Bytes>>, JwtRejection> {
///     let user = JwtRequired::from_request(&mut req).await?; // the one line
///     Ok(Response::new(Full::from(format!("Hello user {}!", user.identity()))))
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let manager = JwtManager::builder().secret("an-example-secret-of-at-least-32-bytes!").build()?;
/// let svc = ServiceBuilder::new()
///     .layer(JwtLayer::new(manager.clone()))
///     .service_fn(|req| async { Ok::<_, Infallible>(protected(req).await.unwrap_or_else(Response::from)) });
///
/// let token = manager.create_access_token(1)?;
/// let req = Request::get("/").header("authorization", format!("Bearer {token}")).body(Full::default())?;
/// assert_eq!(svc.clone().oneshot(req).await?.status(), 200);
/// let res = svc.oneshot(Request::get("/").body(Full::default())?).await?;
/// assert_eq!(res.status(), 401);
/// assert_eq!(res.headers()["www-authenticate"], "Bearer");
/// # Ok(())
/// # }
/// ```
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

    /// A refusal of the application's own check after an accepted verification
    /// ([`JwtRequired::require`](crate::JwtRequired::require)): logged at DEBUG, not counted
    /// as a verification.
    pub(crate) fn from_application(
        error: JwtError,
        responder: Option<Arc<dyn ErrorResponder>>,
    ) -> Self {
        tracing::debug!(
            target: "jwt_extended::rejection",
            status = error.status().as_u16(),
            reason = telemetry::reason(error.kind()),
            "request refused by a claim requirement"
        );
        Self { error, responder }
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

/// The rejection's response, for any body made from [`Bytes`] (hyper's `Full<Bytes>`,
/// axum's `Body`, ...): `return Ok(rejection.into())`, or `?` in a handler whose error is
/// [`JwtRejection`] with `unwrap_or_else(Response::from)` where it is called.
impl<B: From<Bytes>> From<JwtRejection> for Response<B> {
    fn from(rejection: JwtRejection) -> Self {
        rejection.into_response().map(B::from)
    }
}
