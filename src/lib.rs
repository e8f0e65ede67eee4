//! JWT authentication for Tower services (axum, hyper, tonic), in the spirit of
//! [Flask-JWT-Extended](https://flask-jwt-extended.readthedocs.io/): the same claims, the
//! same defaults and the same error answers, so a Rust service and a Flask service that
//! share a key accept each other's tokens.
//!
//! Coming from Flask-JWT-Extended or FastAPI? [`docs::migrating_from_flask`] maps every
//! configuration key, decorator, function and loader to its equivalent here.
//!
//! # Quickstart (axum)
//!
//! A [`JwtManager`] creates and verifies tokens; [`JwtManager::layer`] puts it in front of the
//! routes; a guard in a handler's arguments ([`JwtRequired`] is `@jwt_required()`) lets the
//! request in only with a valid token. The manager reads Flask-JWT-Extended's environment
//! variables, so set `JWT_SECRET_KEY` (at least 32 bytes for HS256): without a key,
//! `build()` fails with "no key configured: set the JWT_SECRET_KEY environment variable".
//!
//! ```no_run
//! use axum::{Json, Router, extract::State, routing::{get, post}};
//! use jwt_extended::{JwtError, JwtManager, JwtRequired};
//! use serde_json::{Value, json};
//!
//! async fn login(State(jwt): State<JwtManager>) -> Result<Json<Value>, JwtError> {
//!     // ...check the credentials, then: create_access_token(identity=user.id)
//!     let user_id = 1;
//!     let access_token = jwt.create_access_token(user_id)?;
//!     let refresh_token = jwt.create_refresh_token(user_id)?;
//!     Ok(Json(json!({ "access_token": access_token, "refresh_token": refresh_token })))
//! }
//!
//! async fn protected(user: JwtRequired) -> String {
//!     format!("Hello user {}!", user.identity()) // get_jwt_identity(): "Hello user 1!"
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let jwt = JwtManager::builder().from_env()?.build()?;
//!     let app = Router::new()
//!         .route("/login", post(login))
//!         .route("/protected", get(protected))
//!         .layer(jwt.layer())
//!         .with_state(jwt);
//!     axum::serve(tokio::net::TcpListener::bind("127.0.0.1:3000").await?, app).await?;
//!     Ok(())
//! }
//! ```
//!
//! `?` works on token creation and verification: [`JwtError`] is an axum response (a
//! verification failure answers as the guards do, a creation failure is a `500` that tells
//! the client nothing more).
//!
//! # Quickstart (hyper)
//!
//! Without axum, every guard is an async function over an `http::Request` (or its `Parts`),
//! and `?` on it is the whole "run the guard or answer the rejection": a [`JwtRejection`]
//! converts into the response the guards give.
//!
//! ```
//! use std::convert::Infallible;
//! use bytes::Bytes;
//! use http::{Request, Response};
//! use http_body_util::Full;
//! use jwt_extended::{JwtLayer, JwtManager, JwtRejection, JwtRequired};
//! use tower::{ServiceBuilder, ServiceExt};
//!
//! async fn protected(mut req: Request<Full<Bytes>>) -> Result<Response<Full<Bytes>>, JwtRejection> {
//!     let user = JwtRequired::from_request(&mut req).await?;
//!     Ok(Response::new(Full::from(format!("Hello user {}!", user.identity()))))
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let jwt = JwtManager::builder().secret("an-example-secret-of-at-least-32-bytes!").build()?;
//! let service = ServiceBuilder::new()
//!     .layer(JwtLayer::new(jwt.clone()))
//!     .service_fn(|req| async { Ok::<_, Infallible>(protected(req).await.unwrap_or_else(Response::from)) });
//! // hyper_util::service::TowerToHyperService::new(service) serves it with hyper.
//!
//! let token = jwt.create_access_token(1)?;
//! let req = Request::get("/").header("authorization", format!("Bearer {token}")).body(Full::default())?;
//! assert_eq!(service.clone().oneshot(req).await?.status(), 200);
//! let res = service.oneshot(Request::get("/").body(Full::default())?).await?;
//! assert_eq!(res.status(), 401); // {"msg": "Missing Authorization Header"}
//! # Ok(())
//! # }
//! ```
//!
//! `examples/hyper_service.rs` is a whole hyper server.
//!
//! # Quickstart (tonic)
//!
//! Put a [`RequireJwtLayer`] in front of the gRPC router and build the manager with
//! [`GrpcErrorResponder`](integrations::tonic::GrpcErrorResponder), so that rejections are
//! gRPC statuses; a method reads the guard from the request's extensions.
//!
//! ```
//! use jwt_extended::integrations::tonic::GrpcErrorResponder;
//! use jwt_extended::{JwtManager, JwtRequired, RequireJwtLayer};
//!
//! fn caller(request: &tonic::Request<()>) -> Result<String, tonic::Status> {
//!     let jwt = request
//!         .extensions()
//!         .get::<JwtRequired>()
//!         .ok_or_else(|| tonic::Status::unauthenticated("no verified token"))?;
//!     Ok(jwt.identity().to_string())
//! }
//!
//! let jwt = JwtManager::builder()
//!     .secret("an-example-secret-of-at-least-32-bytes!")
//!     .error_responder(GrpcErrorResponder)
//!     .build()?;
//! let layer = RequireJwtLayer::access(&jwt);
//! // tonic::transport::Server::builder().layer(layer).add_service(GreeterServer::new(..))
//! # Ok::<(), jwt_extended::ConfigError>(())
//! ```
//!
//! `examples/tonic_greeter.rs` is a whole gRPC server.
//!
//! # Creating and verifying tokens
//!
//! ```
//! use jwt_extended::JwtManager;
//! use std::time::Duration;
//!
//! let manager = JwtManager::builder()
//!     .secret("an-example-secret-of-at-least-32-bytes!")
//!     .access_expires(Duration::from_secs(15 * 60)) // or jwt_extended::time::Duration::minutes(15)
//!     .build()?;
//!
//! let access = manager.access_token("alice").fresh(true).claim("is_admin", true).create()?;
//! let refresh = manager.create_refresh_token("alice")?;
//! let pair = manager.token_pair(42).create()?; // integer ids go in as "42"
//!
//! let decoded = manager.decode_token(&access)?;
//! assert_eq!(decoded.subject(), Some("alice"));
//! assert_eq!(decoded.claim("is_admin"), Some(&serde_json::json!(true)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Every duration setter takes a `std::time::Duration` or a `time::Duration`
//! ([`IntoDuration`]). The identity is anything [`Identity`]: strings, integers (written as
//! their decimal string, as `sub` must be a string), UUIDs, or your user type.
//!
//! # Guards
//!
//! Guards run Flask-JWT-Extended's checks in its order (`OPTIONS` bypass, locations,
//! signature and claims, CSRF, type, freshness, revocation, claims verification, user
//! lookup). In axum they are extractors; elsewhere call `from_request` / `from_parts`. A
//! request is verified once however many guards its handler takes.
//!
//! | guard | Flask-JWT-Extended | accepts |
//! |---|---|---|
//! | [`JwtRequired`] | `@jwt_required()` | access tokens (any `type` but `refresh`) |
//! | [`FreshJwtRequired`] | `@jwt_required(fresh=True)` | fresh access tokens |
//! | [`RefreshJwtRequired`] | `@jwt_required(refresh=True)` | refresh tokens |
//! | [`AnyJwtRequired`] | `@jwt_required(verify_type=False)` | any token (logout) |
//! | [`OptionalJwt`], `Option<JwtRequired>` | `@jwt_required(optional=True)` | no token, or a valid access token |
//! | [`CurrentUser<U>`](CurrentUser) | `current_user` | the user your loader returned |
//!
//! In a handler, `jwt.identity()` is `get_jwt_identity()` (it prints as Flask prints it),
//! `jwt.token().claims()` is `get_jwt()`, `jwt.token().header()` is `get_jwt_header()`, and
//! `jwt.require(|t| .., "Admins only!")?` answers `403` for a claim requirement. Typed claims:
//! `JwtRequired<MyClaims>`. A guard used without the layer answers `500` with a hint, never
//! `401`.
//!
//! ```
//! use axum::{Json, Router, routing::{delete, get, post}};
//! use jwt_extended::{AnyJwtRequired, JwtManager, JwtRejection, JwtRequired, OptionalJwt, RefreshJwtRequired};
//! use serde_json::{Value, json};
//!
//! async fn admin(jwt: JwtRequired) -> Result<&'static str, JwtRejection> {
//!     jwt.require(|token| token.claim("is_admin") == Some(&json!(true)), "Admins only!")?;
//!     Ok("deleted")
//! }
//! async fn greet(jwt: OptionalJwt) -> String {
//!     match jwt.identity() {
//!         Some(user) => format!("Hello user {user}!"),
//!         None => "Hello stranger!".into(),
//!     }
//! }
//! async fn refresh(axum::extract::State(m): axum::extract::State<JwtManager>, jwt: RefreshJwtRequired)
//!     -> Result<Json<Value>, jwt_extended::JwtError> {
//!     Ok(Json(json!({ "access_token": m.create_access_token(jwt.identity())? })))
//! }
//! async fn logout(axum::extract::State(m): axum::extract::State<JwtManager>, jwt: AnyJwtRequired)
//!     -> Result<Json<Value>, jwt_extended::JwtError> {
//!     m.revoke_token(jwt.token()).await?;
//!     Ok(Json(json!({ "msg": "Token revoked" })))
//! }
//!
//! let m = JwtManager::builder().secret("an-example-secret-of-at-least-32-bytes!").build()?;
//! let app: Router = Router::new()
//!     .route("/admin", delete(admin))
//!     .route("/greet", get(greet))
//!     .route("/refresh", post(refresh))
//!     .route("/logout", post(logout))
//!     .layer(m.layer())
//!     .with_state(m);
//! # Ok::<(), jwt_extended::ConfigError>(())
//! ```
//!
//! # Route layers
//!
//! [`RequireJwtLayer`] (`access`, `fresh`, `refresh`, `any`, `optional`) runs a guard in front
//! of any tower service (a group of axum routes, a hyper service, a tonic server) and puts its
//! value into the request's extensions. It can override the token locations of its routes and
//! require claims (`403`). A guard behind it (an extractor in the handler) reuses its
//! verification and its locations: one request, one verdict. Use `route_layer` in axum, so
//! that a `404` stays a `404`.
//!
//! ```
//! use axum::{Router, routing::post};
//! use jwt_extended::{JwtBodyLayer, JwtManager, RefreshJwtRequired, RequireJwtLayer, TokenLocation};
//!
//! let m = JwtManager::builder().secret("an-example-secret-of-at-least-32-bytes!").build()?;
//! let app: Router = Router::new()
//!     .route(
//!         "/refresh",
//!         post(|jwt: RefreshJwtRequired| async move { jwt.identity().to_string() })
//!             .route_layer(RequireJwtLayer::refresh(&m).locations([TokenLocation::Json])),
//!     )
//!     .layer(JwtBodyLayer::new()) // reads {"refresh_token": ...} for the json location
//!     .layer(m.layer());
//! # Ok::<(), jwt_extended::ConfigError>(())
//! ```
//!
//! Layer order: `Trace → CORS (answers preflights) → SetSensitiveHeaders(Authorization,
//! Cookie) → JwtLayer → JwtBodyLayer (only for the json location) → routes`.
//!
//! # Callbacks
//!
//! Flask-JWT-Extended's loaders are closures on the builder, written as a Flask user writes
//! the loader, without type annotations; each also has a `*_loader` form taking a type that
//! implements the callback's trait (async ones with [`macro@async_trait`], re-exported).
//!
//! ```
//! use std::sync::Arc;
//! use jwt_extended::{BoxError, DecodedToken, JwtManager};
//! use serde_json::json;
//!
//! #[derive(Clone)]
//! struct User { id: u64, username: String }
//!
//! async fn user_lookup(token: Arc<DecodedToken>) -> Result<Option<User>, BoxError> {
//!     let id: u64 = token.subject().unwrap_or_default().parse()?;
//!     Ok(Some(User { id, username: format!("user{id}") })) // a database query in real life
//! }
//!
//! let manager = JwtManager::builder()
//!     .secret("an-example-secret-of-at-least-32-bytes!")
//!     .additional_claims(|identity| json!({ "is_admin": identity == "1" })) // additional_claims_loader
//!     .blocklist(|token| token.subject() == Some("banned"))                 // token_in_blocklist_loader
//!     .claims_verifier(|token| token.claim("is_admin").is_some())           // token_verification_loader
//!     .load_user(user_lookup)                                                // user_lookup_loader
//!     .build()?;
//! # Ok::<(), jwt_extended::ConfigError>(())
//! ```
//!
//! A handler then takes [`CurrentUser<User>`](CurrentUser) (`current_user`). The identity
//! loader (`user_identity_loader`) is the [`Identity`] trait, implemented for your user type.
//!
//! # Cookies and CSRF
//!
//! With the cookie location, login sets the tokens in `HttpOnly` cookies and their CSRF values
//! in cookies JavaScript can read; state-changing requests must send the CSRF value in an
//! `X-CSRF-TOKEN` header, compared in constant time with the token's `csrf` claim.
//!
//! ```
//! use axum::{Json, extract::State, response::IntoResponse};
//! use jwt_extended::{CookieOptions, JwtError, JwtManager, SameSite, TokenLocation};
//! use serde_json::json;
//!
//! async fn login(State(jwt): State<JwtManager>) -> Result<impl IntoResponse, JwtError> {
//!     let pair = jwt.token_pair(1).fresh(true).create()?;
//!     let cookies = jwt.access_cookies(&pair.access_token)?.and(jwt.refresh_cookies(&pair.refresh_token)?);
//!     Ok((cookies, Json(json!({ "login": true })))) // set_access_cookies + set_refresh_cookies
//! }
//! async fn logout(State(jwt): State<JwtManager>) -> impl IntoResponse {
//!     (jwt.unset_jwt_cookies(), Json(json!({ "logout": true })))
//! }
//!
//! let manager = JwtManager::builder()
//!     .secret("an-example-secret-of-at-least-32-bytes!")
//!     .token_locations([TokenLocation::Cookies, TokenLocation::Headers])
//!     .cookies(CookieOptions { secure: true, same_site: Some(SameSite::Lax), ..CookieOptions::default() })
//!     .build()?;
//! # Ok::<(), jwt_extended::ConfigError>(())
//! ```
//!
//! # Revocation stores
//!
//! A [revocation store](store) makes logout real: [`store::MemoryStore`] (feature
//! `memory-store`, one process) or [`store::RedisStore`] (feature `redis`, shared by every
//! instance). Every guard checks it; a store that fails answers `503`, never lets a request
//! through. [`JwtManager::revoke_token`] revokes one token, [`JwtManager::revoke_pair`] an
//! access/refresh pair, [`JwtManager::revoke_all_for_identity`] every token of a user, and
//! [`JwtManagerBuilder::refresh_rotation`] turns on refresh-token rotation with reuse
//! detection.
//!
//! ```
//! use jwt_extended::{JwtManager, store::MemoryStore};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let manager = JwtManager::builder()
//!     .secret("an-example-secret-of-at-least-32-bytes!")
//!     .revocation_store(MemoryStore::new())
//!     .build()?;
//! let token = manager.decode_token(&manager.create_access_token(1)?)?;
//! manager.revoke_token(&token).await?; // every guard now answers 401 Token has been revoked
//! # Ok(())
//! # }
//! ```
//!
//! # Error answers and how to change them
//!
//! Rejections answer as Flask-JWT-Extended does: `{"msg": "<message>"}` with its statuses
//! (401 missing, expired, revoked, not fresh, CSRF and user-lookup failures; 422 invalid
//! tokens and wrong token types; 400 failed claims verification), plus `WWW-Authenticate:
//! Bearer` on every 401; `403` for claim requirements and `503` when a store fails. Each
//! [`ErrorKind`] corresponds to one of Flask's error loaders. To change:
//!
//! - the key of the message (`JWT_ERROR_MESSAGE_KEY`):
//!   [`error_message_key`](JwtManagerBuilder::error_message_key);
//! - the statuses to RFC 6750's (401/403, `WWW-Authenticate: Bearer error="invalid_token"`):
//!   [`error_style(ErrorStyle::Rfc6750)`](JwtManagerBuilder::error_style);
//! - the answer to one kind of error, keeping the rest (`@jwt.expired_token_loader` and the
//!   others): [`on_error`](JwtManagerBuilder::on_error);
//! - every answer: [`error_responder`](JwtManagerBuilder::error_responder).
//!
//! ```
//! use http::StatusCode;
//! use jwt_extended::{ErrorKind, JwtManager};
//! use serde_json::json;
//!
//! let manager = JwtManager::builder()
//!     .secret("an-example-secret-of-at-least-32-bytes!")
//!     .on_error(ErrorKind::Expired, |_err| {
//!         (StatusCode::UNAUTHORIZED, json!({ "error": "Token has expired" }))
//!     })
//!     .build()?;
//! # Ok::<(), jwt_extended::ConfigError>(())
//! ```
//!
//! # Tokens from an identity provider
//!
//! With the `jwks` feature, the same manager and guards also accept the tokens of external
//! issuers (Auth0, Keycloak, Cognito, Entra ID, Google, Okta, ...), verified with the key
//! set each publishes; see [`issuer`] for the rules. A token is routed by its `iss` to its
//! issuer's keys, audience and algorithms.
//!
//! ```no_run
//! # #[cfg(feature = "jwks")] {
//! use jwt_extended::{Issuer, JwtManager};
//!
//! let manager = JwtManager::builder()
//!     .secret("an-example-secret-of-at-least-32-bytes!")
//!     // Auth0: the tenant URL with its trailing slash, the API identifier as audience.
//!     .issuer(Issuer::discover("https://example.eu.auth0.com/").audience(["https://orders.example.com"]))
//!     // Keycloak: one issuer per realm.
//!     .issuer(Issuer::discover("https://sso.example.com/realms/main").audience(["orders-api"]))
//!     .build()?;
//! # }
//! # Ok::<(), jwt_extended::ConfigError>(())
//! ```
//!
//! The other way round, [`JwtManager::jwks`] is the JWK Set of the manager's own public keys,
//! and [`JwtManager::jwks_service`] serves it at `/.well-known/jwks.json`.
//!
//! # Optional features
//!
//! | Feature | Description | Default |
//! |---|---|---|
//! | `aws-lc-rs` | jsonwebtoken's aws-lc-rs crypto backend | yes |
//! | `rust-crypto` | jsonwebtoken's RustCrypto backend (used when `aws-lc-rs` is off) | no |
//! | `memory-store` | the in-memory revocation store | yes |
//! | `axum` | guards as axum extractors; rejections, errors and cookies as responses | no |
//! | `tonic` | gRPC error responses for tonic | no |
//! | `redis` | the Redis revocation store | no |
//! | `jwks` | tokens from external issuers ([`Issuer`], [`issuer`]) | no |
//! | `jwks-https` | the default HTTPS client for `jwks` (hyper-util, rustls, webpki-roots) | no |
//! | `metrics` | counters and histograms through the `metrics` facade ([`telemetry`]) | no |
//! | `utoipa` | OpenAPI security schemes for utoipa (`openapi`) | no |
//!
//! # Modules
//!
//! The crate root holds what application code names: the [`JwtManager`] and its builder,
//! the guards, the layers, the callbacks, errors, keys and token types. The tower plumbing
//! (services, their futures and response bodies) is under [`middleware`], revocation stores
//! under [`store`], the axum and tonic glue under [`integrations`], external issuers'
//! settings and HTTP client under `issuer` (feature `jwks`), and guides under [`docs`].
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(missing_debug_implementations, unreachable_pub)]
#![cfg_attr(docsrs, feature(doc_cfg))]

// The house plan. Dependencies point one way, down this list; a module imports a name from
// the module that defines it, never through this facade:
//
//   middleware/   JwtLayer, RequireJwtLayer, JwtBodyLayer, ImplicitRefreshLayer, their
//                 services and futures, and the shared response body (tower-http's layout);
//                 JwksService, the endpoint serving the manager's public keys
//   guard/        the guards (mod.rs), the verification pipeline every guard and route layer
//                 runs and the request context (verify.rs), Scoped and HasRoles (scoped.rs),
//                 JwtRejection (rejection.rs)
//   openapi.rs    the utoipa security schemes (feature `utoipa`)
//   manager/      JwtManager with its settings by concern (mod.rs), the builder and build()
//                 (builder.rs), the JWT_* variables (env.rs), revocation and rotation and
//                 the guards' revocation check (revocation.rs), Set-Cookie helpers
//                 (set_cookies.rs), routing tokens to external issuers (issuers.rs)
//   issuer/       external issuers (feature `jwks`): the Issuer settings (mod.rs), the HTTP
//                 client and its rules (http.rs), one issuer's key set over time (keys.rs),
//                 a key source of the one verification pipeline in decode.rs
//   token.rs      creation: Identity, TokenBuilder, TokenPair, on an Issuer; the one
//                 owned-claim rule
//   decode.rs     verification: the Verifier (settings, keys, header memo); check_times(),
//                 the one definition of the iat/nbf/exp checks and their order
//   locations/    where tokens are read (header, cookie + CSRF, query, json), config and
//                 extraction only
//   jwk.rs        JWK Sets parsed into verification keys, each pinned to one algorithm
//   keys.rs cache.rs callbacks.rs response.rs store/ scope.rs telemetry.rs
//   claims.rs error.rs clock.rs duration.rs
//
// docs/ holds the guides rendered on docs.rs (markdown included as module docs).
//
// integrations/ (axum, tonic) sits beside middleware/, on top of guard/ and response.rs.

mod cache;
pub mod callbacks;
mod claims;
pub mod clock;
mod decode;
pub mod docs;
mod duration;
mod error;
mod guard;
pub mod integrations;
#[cfg(feature = "jwks")]
#[cfg_attr(docsrs, doc(cfg(feature = "jwks")))]
pub mod issuer;
#[cfg(feature = "jwks")]
mod jwk;
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

pub use async_trait::async_trait;
pub use callbacks::UserLoader;
pub use claims::{DecodedToken, Freshness, IdentityRef, TokenType};
pub use duration::IntoDuration;
pub use error::{BoxError, ConfigError, ErrorKind, JwtError};
pub use guard::{
    AnyJwtRequired, CurrentUser, FreshJwtRequired, HasRoles, JwtRejection, JwtRequired, NoClaims,
    OptionalJwt, RefreshJwtRequired, Scoped, TokenGuard,
};
#[cfg(feature = "jwks")]
pub use issuer::Issuer;
pub use jsonwebtoken::Algorithm;
pub use jsonwebtoken::jwk::JwkSet;
pub use keys::Key;
pub use locations::{CookieOptions, SameSite, TokenLocation};
pub use manager::{CookieOverrides, JwtCookies, JwtManager, JwtManagerBuilder};
pub use middleware::{ImplicitRefreshLayer, JwtBodyLayer, JwtLayer, RequireJwtLayer};
pub use response::{DefaultErrorResponder, ErrorResponder, ErrorStyle};
/// The `time` crate, whose [`Duration`](time::Duration) the duration setters accept (as well
/// as [`std::time::Duration`]).
pub use time;
pub use token::{Identity, TokenBuilder, TokenPair, TokenPairBuilder};

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
