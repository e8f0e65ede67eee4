//! JWT authentication for Tower services (axum, hyper, tonic), in the spirit of
//! [Flask-JWT-Extended](https://flask-jwt-extended.readthedocs.io/): the same claims, the
//! same defaults and the same error answers, so a Rust service and a Flask service that
//! share a key accept each other's tokens.
//!
//! # Creating and verifying tokens
//!
//! ```
//! use jwt_extended::JwtManager;
//!
//! let manager = JwtManager::builder()
//!     .secret("an-example-secret-of-at-least-32-bytes!")
//!     .build()?;
//!
//! let access = manager.access_token("alice").fresh(true).claim("is_admin", true).create()?;
//! let refresh = manager.create_refresh_token("alice")?;
//!
//! let decoded = manager.decode_token(&access)?;
//! assert_eq!(decoded.subject(), Some("alice"));
//! assert_eq!(decoded.claim("is_admin"), Some(&serde_json::json!(true)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Optional features
//!
//! | Feature | Description | Default |
//! |---|---|---|
//! | `aws-lc-rs` | jsonwebtoken's aws-lc-rs crypto backend | yes |
//! | `rust-crypto` | jsonwebtoken's RustCrypto backend (used when `aws-lc-rs` is off) | no |
//! | `memory-store` | the in-memory revocation store | yes |
//! | `axum` | axum extractors and response parts | no |
//! | `tonic` | gRPC error responses for tonic | no |
//! | `redis` | the Redis revocation store | no |
//!
//! # Modules
//!
//! The crate root holds what application code names: the [`JwtManager`] and its builder,
//! the guards, the layers, the callbacks, errors, keys and token types. The tower plumbing
//! (services, their futures and response bodies) is under [`middleware`], revocation stores
//! under [`store`], and the axum and tonic glue under [`integrations`].
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(missing_debug_implementations, unreachable_pub)]
#![cfg_attr(docsrs, feature(doc_cfg))]

// The house plan. Dependencies point one way, down this list; a module imports a name from
// the module that defines it, never through this facade:
//
//   middleware/   JwtLayer, RequireJwtLayer, JwtBodyLayer, ImplicitRefreshLayer, their
//                 services and futures, and the shared response body (tower-http's layout)
//   guard/        the guards (mod.rs), the verification pipeline every guard and route layer
//                 runs and the request context (verify.rs), Scoped and HasRoles (scoped.rs),
//                 JwtRejection (rejection.rs)
//   openapi.rs    the utoipa security schemes (feature `utoipa`)
//   manager/      JwtManager with its settings by concern (mod.rs), the builder and build()
//                 (builder.rs), the JWT_* variables (env.rs), revocation and rotation and
//                 the guards' revocation check (revocation.rs), Set-Cookie helpers
//                 (set_cookies.rs)
//   token.rs      creation: Identity, TokenBuilder, TokenPair, on an Issuer; the one
//                 owned-claim rule
//   decode.rs     verification: the Verifier (settings, keys, header memo); check_times(),
//                 the one definition of the iat/nbf/exp checks and their order
//   locations/    where tokens are read (header, cookie + CSRF, query, json), config and
//                 extraction only
//   keys.rs cache.rs callbacks.rs response.rs store/ scope.rs telemetry.rs
//   claims.rs error.rs clock.rs
//
// integrations/ (axum, tonic) sits beside middleware/, on top of guard/ and response.rs.

mod cache;
mod callbacks;
mod claims;
mod clock;
mod decode;
mod error;
mod guard;
pub mod integrations;
mod keys;
mod locations;
mod manager;
pub mod middleware;
#[cfg(feature = "utoipa")]
#[cfg_attr(docsrs, doc(cfg(feature = "utoipa")))]
pub mod openapi;
mod response;
pub mod scope;
pub mod store;
pub mod telemetry;
mod token;

pub use callbacks::{AdditionalClaims, AdditionalHeaders, Blocklist, ClaimsVerifier, UserLoader};
pub use claims::{DecodedToken, Freshness, TokenType};
pub use clock::{Clock, MockClock, SystemClock};
pub use error::{BoxError, ConfigError, ErrorKind, JwtError};
pub use guard::{
    AnyJwtRequired, CurrentUser, FreshJwtRequired, HasRoles, JwtRejection, JwtRequired, NoClaims,
    OptionalJwt, RefreshJwtRequired, Scoped, TokenGuard,
};
pub use jsonwebtoken::Algorithm;
pub use keys::Key;
pub use locations::{CookieOptions, SameSite, TokenLocation};
pub use manager::{CookieOverrides, JwtCookies, JwtManager, JwtManagerBuilder};
pub use middleware::{ImplicitRefreshLayer, JwtBodyLayer, JwtLayer, RequireJwtLayer};
pub use response::{DefaultErrorResponder, ErrorResponder, ErrorStyle};
#[doc(hidden)]
pub use scope::__private;
pub use scope::{ClaimPath, Match, RequiredRoles, RequiredScopes, RoleSet, ScopeSet};
pub use token::{Identity, TokenBuilder, TokenPair, TokenPairBuilder};

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
