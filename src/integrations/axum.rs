//! axum: the guards are extractors, and rejections are responses.
//!
//! ```
//! use axum::{Router, routing::{get, post}};
//! use jwt_extended::{FreshJwtRequired, JwtManager, JwtRequired, OptionalJwt};
//!
//! async fn protected(jwt: JwtRequired) -> String {
//!     format!("logged in as {}", jwt.subject().unwrap_or_default())
//! }
//! async fn maybe(jwt: Option<JwtRequired>) -> String {
//!     jwt.and_then(|j| j.subject().map(String::from)).unwrap_or_else(|| "anonymous".into())
//! }
//! async fn fresh(_: FreshJwtRequired) -> &'static str { "fresh ok" }
//!
//! let manager = JwtManager::builder().secret("an-example-secret-of-at-least-32-bytes!").build().unwrap();
//! let app: Router = Router::new()
//!     .route("/protected", get(protected))
//!     .route("/maybe", get(maybe))
//!     .route("/fresh", post(fresh))
//!     .layer(manager.layer());
//! ```
//!
//! A guard used without the layer answers `500` with a hint ("is `JwtLayer` installed?"),
//! never `401`.

use axum_core::body::Body;
use axum_core::extract::{FromRequestParts, OptionalFromRequestParts};
use axum_core::response::{IntoResponse, Response};
use http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::JwtError;
use crate::guard::{
    AnyJwtRequired, CurrentUser, FreshJwtRequired, HasRoles, JwtRejection, JwtRequired,
    OptionalJwt, RefreshJwtRequired, Scoped, TokenGuard,
};
use crate::response::error_answer;
use crate::scope::{RoleSet, ScopeSet};

impl IntoResponse for JwtRejection {
    fn into_response(self) -> Response {
        JwtRejection::into_response(self).map(Body::from)
    }
}

/// `?` on token creation or verification in a handler returning `Result<_, JwtError>`: a
/// verification failure answers as the guards do (the manager's error responder), a
/// creation failure is a `500 Internal Server Error` that tells the client nothing more.
///
/// ```
/// use axum::{Json, extract::State};
/// use jwt_extended::{JwtError, JwtManager};
/// use serde_json::{Value, json};
///
/// async fn login(State(jwt): State<JwtManager>) -> Result<Json<Value>, JwtError> {
///     let access_token = jwt.create_access_token(1)?;
///     Ok(Json(json!({ "access_token": access_token })))
/// }
/// ```
impl IntoResponse for JwtError {
    fn into_response(self) -> Response {
        error_answer(&self, None).map(Body::from)
    }
}

macro_rules! extractor {
    ($name:ident) => {
        impl<S, C> FromRequestParts<S> for $name<C>
        where
            S: Send + Sync,
            C: DeserializeOwned + Send + Sync + 'static,
        {
            type Rejection = JwtRejection;

            async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
                Self::from_parts_typed(parts).await
            }
        }
    };
}

extractor!(JwtRequired);
extractor!(FreshJwtRequired);
extractor!(RefreshJwtRequired);
extractor!(AnyJwtRequired);

impl<S, C> OptionalFromRequestParts<S> for JwtRequired<C>
where
    S: Send + Sync,
    C: DeserializeOwned + Send + Sync + 'static,
{
    type Rejection = JwtRejection;

    /// `Option<JwtRequired>` is [`OptionalJwt`]: `None` without a token, a rejection for a
    /// bad one.
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Self::Rejection> {
        Ok(OptionalJwt::<C>::from_parts_typed(parts).await?.0)
    }
}

impl<S, C> FromRequestParts<S> for OptionalJwt<C>
where
    S: Send + Sync,
    C: DeserializeOwned + Send + Sync + 'static,
{
    type Rejection = JwtRejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Self::from_parts_typed(parts).await
    }
}

impl<S, U> FromRequestParts<S> for CurrentUser<U>
where
    S: Send + Sync,
    U: Clone + Send + Sync + 'static,
{
    type Rejection = JwtRejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Self::from_parts(parts).await
    }
}

impl<S, U> OptionalFromRequestParts<S> for CurrentUser<U>
where
    S: Send + Sync,
    U: Clone + Send + Sync + 'static,
{
    type Rejection = JwtRejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Self::Rejection> {
        Self::run(parts, true).await
    }
}

impl<S, T, G> FromRequestParts<S> for Scoped<T, G>
where
    S: Send + Sync,
    T: ScopeSet,
    G: TokenGuard,
{
    type Rejection = JwtRejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Self::from_parts(parts).await
    }
}

impl<S, T, G> FromRequestParts<S> for HasRoles<T, G>
where
    S: Send + Sync,
    T: RoleSet,
    G: TokenGuard,
{
    type Rejection = JwtRejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Self::from_parts(parts).await
    }
}
