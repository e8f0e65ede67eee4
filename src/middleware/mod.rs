//! The tower middleware: each layer with its service (and future) together, as tower-http
//! lays them out. Application code names the layers, which the crate root re-exports too;
//! the services, futures and bodies appear in types only.
//!
//! Every `XLayer` makes an `XService`, and every service has `get_ref`, `get_mut` and
//! `into_inner`:
//!
//! | layer | service | does |
//! |---|---|---|
//! | [`JwtLayer`] | [`JwtService`] | puts the manager's context into every request, for the guards |
//! | [`RequireJwtLayer`] | [`RequireJwtService`] | runs a guard before the inner service ([`ResponseFuture`]) |
//! | [`JwtBodyLayer`] | [`JwtBodyService`] | reads the body once for the `json` location and the CSRF form field ([`JwtBodyFuture`]) |
//! | [`ImplicitRefreshLayer`] | [`ImplicitRefreshService`] | refreshes access cookies about to expire |
//!
//! [`JwksService`] is an endpoint rather than a middleware: it serves the manager's public
//! keys (`JwtManager::jwks_service`).
//!
//! [`RequireJwtService`] and [`JwtBodyService`] answer some requests themselves, so their
//! responses have a [`ResponseBody`]. The middleware sits on top of the crate: it calls the
//! guards' verification pipeline, which works from the manager.

mod body;
mod context;
mod implicit_refresh;
mod jwks;
mod read_body;
mod require;

pub use body::ResponseBody;
pub use context::{JwtLayer, JwtService};
pub use implicit_refresh::{ImplicitRefreshLayer, ImplicitRefreshService};
pub use jwks::JwksService;
pub use read_body::{JwtBodyFuture, JwtBodyLayer, JwtBodyService};
pub use require::{RequireJwtLayer, RequireJwtService, ResponseFuture};
