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
