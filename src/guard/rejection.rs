//! [`JwtRejection`]: why a guard refused a request, and the response for it.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http::Response;

use crate::error::{ErrorKind, JwtError};
use crate::response::{DefaultErrorResponder, ErrorResponder};

/// A guard's failure: the error, and the responder that turns it into a response.
pub(crate) struct Rejection {
    error: JwtError,
    responder: Option<Arc<dyn ErrorResponder>>,
}

impl Rejection {
    pub(crate) fn new(error: JwtError, responder: Option<Arc<dyn ErrorResponder>>) -> Self {
        Self { error, responder }
    }

    /// The public rejection, logged: every refused request is logged here, once, as it
    /// leaves the crate (the kind and status only, never the token or a claim).
    pub(crate) fn into_logged(self) -> JwtRejection {
        let rejection = JwtRejection {
            error: self.error,
            responder: self.responder,
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
