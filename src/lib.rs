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
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(missing_debug_implementations, unreachable_pub)]
#![cfg_attr(docsrs, feature(doc_cfg))]

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
mod response;
pub mod store;
mod token;

pub use callbacks::{AdditionalClaims, AdditionalHeaders, Blocklist, ClaimsVerifier, UserLoader};
pub use claims::{DecodedToken, Freshness, TokenType};
pub use clock::{Clock, MockClock, SystemClock};
pub use error::{BoxError, ConfigError, ErrorKind, JwtError};
pub use guard::{
    AnyJwtRequired, CurrentUser, FreshJwtRequired, JwtRejection, JwtRequired, NoClaims,
    OptionalJwt, RefreshJwtRequired,
};
pub use jsonwebtoken::Algorithm;
pub use keys::Key;
pub use locations::{CookieOptions, SameSite, TokenLocation};
pub use manager::{CookieOverrides, JwtCookies, JwtManager, JwtManagerBuilder};
pub use middleware::{ImplicitRefreshLayer, JwtBodyLayer, JwtLayer, RequireJwtLayer};
pub use response::{DefaultErrorResponder, ErrorResponder, ErrorStyle};
pub use token::{Identity, TokenBuilder, TokenPair, TokenPairBuilder};

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
