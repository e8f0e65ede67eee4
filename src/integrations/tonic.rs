//! tonic: gRPC error responses for the guards.
//!
//! Put a [`RequireJwtLayer`](crate::RequireJwtLayer) in front of the gRPC service with
//! `Server::builder().layer(..)`, and build the manager with [`GrpcErrorResponder`], so that
//! rejections are gRPC statuses. tonic keeps the HTTP request's extensions, so a method reads
//! the guard with `request.extensions().get::<JwtRequired>()`. (tonic's interceptors are
//! synchronous and cannot await a revocation store: use the layer.)
//!
//! ```
//! use jwt_extended::{JwtManager, RequireJwtLayer, integrations::tonic::GrpcErrorResponder};
//!
//! let manager = JwtManager::builder()
//!     .secret("an-example-secret-of-at-least-32-bytes!")
//!     .error_responder(GrpcErrorResponder)
//!     .build()
//!     .unwrap();
//! let layer = RequireJwtLayer::access(&manager);
//! // tonic::transport::Server::builder().layer(layer).add_service(...)
//! ```

use bytes::Bytes;
use http::Response;
use tonic::Status;

use crate::error::{ErrorKind, JwtError};
use crate::response::ErrorResponder;

/// Answers rejections as gRPC statuses: `unauthenticated` for token problems,
/// `permission_denied` for wrong type, freshness, claim, scope, role and claims-verification
/// failures, `unavailable` when a store failed, `internal` for misconfiguration.
#[derive(Debug, Clone, Copy, Default)]
pub struct GrpcErrorResponder;

impl GrpcErrorResponder {
    /// The gRPC status for `error`.
    pub fn status(error: &JwtError) -> Status {
        let msg = error.message().to_owned();
        match error.kind() {
            ErrorKind::WrongTokenType
            | ErrorKind::FreshRequired
            | ErrorKind::Forbidden
            | ErrorKind::InsufficientScope
            | ErrorKind::ClaimsVerification => Status::permission_denied(msg),
            ErrorKind::Unavailable => Status::unavailable(msg),
            ErrorKind::TokenCreation | ErrorKind::Misconfigured => Status::internal(msg),
            _ => Status::unauthenticated(msg),
        }
    }
}

impl ErrorResponder for GrpcErrorResponder {
    fn respond(&self, error: &JwtError) -> Response<Bytes> {
        Self::status(error).into_http::<Bytes>()
    }
}
