//! Guards: [`JwtRequired`], [`FreshJwtRequired`], [`RefreshJwtRequired`],
//! [`AnyJwtRequired`], [`OptionalJwt`] and [`CurrentUser`].
//!
//! A guard finds the token in the request, verifies it and runs Flask-JWT-Extended's checks in
//! its order (reference: `verify_jwt_in_request`):
//!
//! 1. `OPTIONS` requests pass without identity;
//! 2. the configured locations are searched in order; only "missing" moves on to the next;
//! 3. the token is verified (signature, `exp`/`nbf`/`iat`, `aud`, `iss`, `sub`, `jti`, the
//!    identity claim);
//! 4. the CSRF double submit, for cookie tokens;
//! 5. the token type, then freshness;
//! 6. the revocation store and the [`Blocklist`](crate::callbacks::Blocklist) callback;
//! 7. the [`ClaimsVerifier`](crate::callbacks::ClaimsVerifier) callback;
//! 8. the [`UserLoader`](crate::UserLoader) callback.
//!
//! The result is kept in the request (under a private key), so a handler that takes several
//! guards verifies its token once.
//!
//! On `OPTIONS`, [`OptionalJwt`] (and `Option<JwtRequired>`) yield `None` and
//! [`RequireJwtLayer`](crate::RequireJwtLayer) lets the request through without identity, as
//! Flask-JWT-Extended does. A required guard cannot be made without a token, so an extractor
//! on an `OPTIONS` handler refuses the request as missing: answer preflights in a CORS layer
//! in front, or use `OptionalJwt` there.
//!
//! Guards need the context that [`JwtLayer`](crate::JwtLayer) (or
//! [`RequireJwtLayer`](crate::RequireJwtLayer)) adds to every request; without it they answer
//! `500` with a hint, never `401`.
//!
//! In axum (feature `axum`) guards are extractors. Without axum, call
//! [`JwtRequired::from_parts`] / [`JwtRequired::from_request`] (and the same functions of the
//! other guards), or put a [`RequireJwtLayer`](crate::RequireJwtLayer) in front of the service
//! and read the guard from the request extensions.
//!
//! Scopes and roles ([`Scoped`], [`HasRoles`]) wrap a guard and check after it (see
//! [`crate::scope`]). Every guard run ends with one verification event and, with the
//! `metrics` feature, one count (see [`crate::telemetry`]).
//!
//! The files of this module: `verify.rs` (the pipeline above, shared by the guards and the
//! route layers of `middleware/`), `scoped.rs` ([`Scoped`], [`HasRoles`]) and `rejection.rs`
//! ([`JwtRejection`]).

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use http::{Request, request::Parts};
use serde::de::DeserializeOwned;

use crate::claims::{DecodedToken, IdentityRef};
use crate::error::{ErrorKind, JwtError};
use crate::locations::TokenLocation;

mod rejection;
mod scoped;
mod verify;

pub use rejection::JwtRejection;
pub(crate) use rejection::Rejection;
pub use scoped::{HasRoles, Scoped, TokenGuard};
pub(crate) use verify::{
    JwtContext, Kind, LayerSettings, RequestHead, Requirement, Verified, verify,
};

use crate::telemetry::{self, Seen};

/// What the verification event says of an accepted token.
pub(crate) fn seen(v: &Verified) -> Seen<'_> {
    Seen {
        token: Some(&v.token),
        location: Some(v.location),
        cache_hit: v.cache_hit,
    }
}

/// A guard's value, as the verification event sees it.
pub(crate) trait Observe {
    fn seen(&self) -> Seen<'_>;
}

/// The end of a guard run: one verification event (and metric), accepted or refused.
pub(crate) fn finish<T: Observe>(result: Result<T, Rejection>) -> Result<T, JwtRejection> {
    match result {
        Ok(value) => {
            telemetry::accepted(value.seen());
            Ok(value)
        }
        Err(rejection) => Err(rejection.into_logged()),
    }
}

/// The default claims type of the guards: no typed claims (read them from
/// [`token()`](JwtRequired::token) instead).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoClaims;

impl<'de> serde::Deserialize<'de> for NoClaims {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(d).map(|_| NoClaims)
    }
}

fn typed_claims<C: DeserializeOwned>(v: &Verified) -> Result<C, Rejection> {
    C::deserialize(v.token.claims()).map_err(|_| {
        Rejection::new(
            JwtError::new(
                ErrorKind::InvalidToken,
                "Token claims do not match the expected format",
            )
            .with_token(v.token.clone()),
            Some(v.responder().clone()),
        )
    })
}

macro_rules! guard {
    (
        $(#[$doc:meta])*
        $name:ident, $kind:expr, $example:literal
    ) => {
        $(#[$doc])*
        ///
        /// `C` is the type the claims are deserialized into (defaults to [`NoClaims`]).
        ///
        /// Without axum, read it with [`from_parts`](Self::from_parts) or
        #[doc = concat!("[`from_request`](Self::from_request), or from the extensions after a [`RequireJwtLayer`](crate::RequireJwtLayer)::", $example, ".")]
        pub struct $name<C = NoClaims> {
            verified: Arc<Verified>,
            claims: C,
        }

        impl<C: Clone> Clone for $name<C> {
            fn clone(&self) -> Self {
                Self { verified: self.verified.clone(), claims: self.claims.clone() }
            }
        }

        impl<C: fmt::Debug> fmt::Debug for $name<C> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("token", &self.verified.token)
                    .field("location", &self.verified.location)
                    .field("claims", &self.claims)
                    .finish()
            }
        }

        impl<C> $name<C> {
            pub(crate) const REQUIREMENT: Requirement = Requirement::new($kind);

            /// The verified token (header and claims).
            pub fn token(&self) -> &DecodedToken {
                &self.verified.token
            }

            /// The identity claim (`get_jwt_identity()`). It prints as Flask prints it
            /// (`format!("Hello user {}!", jwt.identity())` gives `Hello user 1!`); its JSON
            /// value is [`as_value`](IdentityRef::as_value).
            pub fn identity(&self) -> IdentityRef<'_> {
                self.verified.token.identity()
            }

            /// The identity claim when it is a string.
            pub fn subject(&self) -> Option<&str> {
                self.verified.token.subject()
            }

            /// The claims, typed.
            pub fn claims(&self) -> &C {
                &self.claims
            }

            /// The typed claims, by value.
            pub fn into_claims(self) -> C {
                self.claims
            }

            /// Where the token was found (`get_jwt_request_location()`).
            pub fn location(&self) -> TokenLocation {
                self.verified.location
            }

            /// The user loaded by the [`UserLoader`](crate::UserLoader), if one is configured
            /// and its user type is `U`.
            pub fn user<U: Send + Sync + 'static>(&self) -> Option<&U> {
                self.verified.user.as_deref().and_then(|u| u.downcast_ref::<U>())
            }

            /// Requires `check` to hold for the token, answering `403` with `message`
            /// otherwise: for claim requirements such as "admins only".
            pub fn require(
                &self,
                check: impl FnOnce(&DecodedToken) -> bool,
                message: impl Into<Cow<'static, str>>,
            ) -> Result<(), JwtRejection> {
                if check(&self.verified.token) {
                    Ok(())
                } else {
                    Err(JwtRejection::from_application(
                        JwtError::new(ErrorKind::Forbidden, message)
                            .with_token(self.verified.token.clone()),
                        Some(self.verified.responder().clone()),
                    ))
                }
            }
        }

        impl $name {
            /// Runs the guard on request parts (the function form of the extractor).
            /// For typed claims, [`from_parts_typed`](Self::from_parts_typed).
            pub async fn from_parts(parts: &mut Parts) -> Result<Self, JwtRejection> {
                Self::from_parts_typed(parts).await
            }

            /// Runs the guard on a request, as in a plain hyper handler; `?` turns a
            /// rejection into its response (see [`JwtRejection`]). For typed claims,
            /// [`from_request_typed`](Self::from_request_typed).
            pub async fn from_request<B: Send>(req: &mut Request<B>) -> Result<Self, JwtRejection> {
                Self::from_request_typed(req).await
            }
        }

        impl<C: DeserializeOwned> $name<C> {
            pub(crate) fn from_verified(verified: Arc<Verified>) -> Result<Self, Rejection> {
                let claims = typed_claims(&verified)?;
                Ok(Self { verified, claims })
            }

            /// Runs the guard on request parts, with the claims deserialized into `C`
            #[doc = concat!("(`", stringify!($name), "::<MyClaims>::from_parts_typed(&mut parts)`).")]
            pub async fn from_parts_typed(parts: &mut Parts) -> Result<Self, JwtRejection> {
                finish(Self::run(parts).await)
            }

            /// Runs the guard on a request, with the claims deserialized into `C`.
            pub async fn from_request_typed<B: Send>(req: &mut Request<B>) -> Result<Self, JwtRejection> {
                finish(Self::run(req).await)
            }

            async fn run<H: RequestHead>(head: &mut H) -> Result<Self, Rejection> {
                match verify(head, &Self::REQUIREMENT).await? {
                    Some(v) => Self::from_verified(v),
                    None => Err(options_without_token(head)),
                }
            }
        }

        impl<C> Observe for $name<C> {
            fn seen(&self) -> Seen<'_> {
                seen(&self.verified)
            }
        }

        // Sealed: the crate-private types in its signatures are unreachable from outside.
        #[allow(private_interfaces, private_bounds)]
        impl<C: DeserializeOwned + Send + Sync + 'static> scoped::sealed::Sealed for $name<C> {
            fn run_guard<H: RequestHead>(
                head: &mut H,
            ) -> impl std::future::Future<Output = Result<Self, Rejection>> + Send {
                Self::run(head)
            }

            fn verified(&self) -> &Verified {
                &self.verified
            }
        }

        impl<C: DeserializeOwned + Send + Sync + 'static> TokenGuard for $name<C> {}
    };
}

/// An `OPTIONS` request reaching a guard that needs a token (FJE lets the view run; a
/// typed guard cannot be made without a token, so the request is refused as "missing").
fn options_without_token<H: RequestHead>(head: &H) -> Rejection {
    let responder = head
        .extensions()
        .get::<JwtContext>()
        .map(|c| c.manager().responder().clone());
    Rejection::new(
        JwtError::new(
            ErrorKind::Missing,
            "Missing JWT: OPTIONS requests carry no identity",
        ),
        responder,
    )
}

guard! {
    /// Requires an access token (`@jwt_required()`): any token type but `refresh`.
    ///
    /// ```
    /// # #[cfg(feature = "axum")] {
    /// use axum::{Router, routing::get};
    /// use jwt_extended::{JwtManager, JwtRequired};
    ///
    /// async fn protected(jwt: JwtRequired) -> String {
    ///     format!("hello {}", jwt.subject().unwrap_or("?"))
    /// }
    ///
    /// let manager = JwtManager::builder().secret("an-example-secret-of-at-least-32-bytes!").build().unwrap();
    /// let app: Router = Router::new().route("/protected", get(protected)).layer(manager.layer());
    /// # }
    /// ```
    JwtRequired, Kind::Access, "access()"
}

guard! {
    /// Requires a fresh access token (`@jwt_required(fresh=True)`): `"fresh": true`, or a
    /// `fresh` timestamp not yet passed.
    ///
    /// ```
    /// # #[cfg(feature = "axum")] {
    /// use jwt_extended::FreshJwtRequired;
    ///
    /// async fn change_password(jwt: FreshJwtRequired) -> &'static str {
    ///     "password changed"
    /// }
    /// # }
    /// ```
    FreshJwtRequired, Kind::Fresh, "fresh()"
}

guard! {
    /// Requires a refresh token (`@jwt_required(refresh=True)`).
    ///
    /// ```
    /// # #[cfg(feature = "axum")] {
    /// use axum::{Json, extract::State};
    /// use jwt_extended::{JwtManager, RefreshJwtRequired};
    ///
    /// async fn refresh(State(manager): State<JwtManager>, jwt: RefreshJwtRequired) -> Json<serde_json::Value> {
    ///     let access = manager.create_access_token(jwt.identity()).unwrap();
    ///     Json(serde_json::json!({ "access_token": access }))
    /// }
    /// # }
    /// ```
    RefreshJwtRequired, Kind::Refresh, "refresh()"
}

guard! {
    /// Requires a token of any type (`@jwt_required(verify_type=False)`), as a logout route
    /// that revokes access and refresh tokens alike does.
    ///
    /// ```
    /// # #[cfg(feature = "axum")] {
    /// use axum::extract::State;
    /// use jwt_extended::{AnyJwtRequired, JwtManager};
    ///
    /// async fn logout(State(manager): State<JwtManager>, jwt: AnyJwtRequired) -> &'static str {
    ///     manager.revoke_token(jwt.token()).await.unwrap();
    ///     "Token revoked"
    /// }
    /// # }
    /// ```
    AnyJwtRequired, Kind::Any, "any()"
}

/// An access token if the request carries one (`@jwt_required(optional=True)`): `None` when
/// there is none, but a bad, expired or wrong-type token is still refused.
///
/// ```
/// # #[cfg(feature = "axum")] {
/// use jwt_extended::OptionalJwt;
///
/// async fn greet(jwt: OptionalJwt) -> String {
///     match jwt.subject() {
///         Some(who) => format!("hello {who}"),
///         None => "hello stranger".into(),
///     }
/// }
/// # }
/// ```
pub struct OptionalJwt<C = NoClaims>(pub Option<JwtRequired<C>>);

impl<C: Clone> Clone for OptionalJwt<C> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<C: fmt::Debug> fmt::Debug for OptionalJwt<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("OptionalJwt").field(&self.0).finish()
    }
}

impl<C> OptionalJwt<C> {
    /// The identity claim, if a token was sent.
    pub fn identity(&self) -> Option<IdentityRef<'_>> {
        self.0.as_ref().map(JwtRequired::identity)
    }

    /// The identity claim, if a token was sent and its identity is a string.
    pub fn subject(&self) -> Option<&str> {
        self.0.as_ref().and_then(JwtRequired::subject)
    }

    /// The verified token, if one was sent.
    pub fn token(&self) -> Option<&DecodedToken> {
        self.0.as_ref().map(JwtRequired::token)
    }
}

impl OptionalJwt {
    /// Runs the guard on request parts. For typed claims,
    /// [`from_parts_typed`](Self::from_parts_typed).
    pub async fn from_parts(parts: &mut Parts) -> Result<Self, JwtRejection> {
        Self::from_parts_typed(parts).await
    }

    /// Runs the guard on a request. For typed claims,
    /// [`from_request_typed`](Self::from_request_typed).
    pub async fn from_request<B: Send>(req: &mut Request<B>) -> Result<Self, JwtRejection> {
        Self::from_request_typed(req).await
    }
}

impl<C: DeserializeOwned> OptionalJwt<C> {
    /// Runs the guard on request parts, with the claims deserialized into `C`.
    pub async fn from_parts_typed(parts: &mut Parts) -> Result<Self, JwtRejection> {
        Self::run(parts).await
    }

    /// Runs the guard on a request, with the claims deserialized into `C`.
    pub async fn from_request_typed<B: Send>(req: &mut Request<B>) -> Result<Self, JwtRejection> {
        Self::run(req).await
    }

    async fn run<H: RequestHead>(head: &mut H) -> Result<Self, JwtRejection> {
        let req = Requirement {
            optional: true,
            ..Requirement::new(Kind::Access)
        };
        let result = match verify(head, &req).await {
            Ok(Some(v)) => JwtRequired::from_verified(v).map(|j| Self(Some(j))),
            // An `OPTIONS` request passes without a verification event.
            Ok(None) if head.method() == http::Method::OPTIONS => return Ok(Self(None)),
            Ok(None) => Ok(Self(None)),
            Err(e) => Err(e),
        };
        finish(result)
    }
}

impl<C> Observe for OptionalJwt<C> {
    fn seen(&self) -> Seen<'_> {
        self.0.as_ref().map(Observe::seen).unwrap_or_default()
    }
}

/// The user the [`UserLoader`](crate::UserLoader) loaded for the request's access token
/// (`current_user`). Runs the same checks as [`JwtRequired`].
///
/// ```
/// # #[cfg(feature = "axum")] {
/// use jwt_extended::CurrentUser;
///
/// #[derive(Clone)]
/// struct User { name: String }
///
/// async fn me(CurrentUser(user): CurrentUser<User>) -> String {
///     user.name
/// }
/// # }
/// ```
pub struct CurrentUser<U>(pub U);

impl<U: fmt::Debug> fmt::Debug for CurrentUser<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("CurrentUser").field(&self.0).finish()
    }
}

impl<U: Clone + Send + Sync + 'static> CurrentUser<U> {
    /// Runs the guard on request parts.
    pub async fn from_parts(parts: &mut Parts) -> Result<Self, JwtRejection> {
        match Self::run(parts, false).await? {
            Some(user) => Ok(user),
            None => Err(options_without_token(parts).into_logged()),
        }
    }

    /// Runs the guard on a request (`let CurrentUser(user): CurrentUser<User> =
    /// CurrentUser::from_request(&mut req).await?;`).
    pub async fn from_request<B: Send>(req: &mut Request<B>) -> Result<Self, JwtRejection> {
        match Self::run(req, false).await? {
            Some(user) => Ok(user),
            None => Err(options_without_token(req).into_logged()),
        }
    }

    /// Runs the guard, recording the verification (none for a required guard without a
    /// token, which its caller refuses, nor for `OPTIONS`).
    pub(crate) async fn run<H: RequestHead>(
        head: &mut H,
        optional: bool,
    ) -> Result<Option<Self>, JwtRejection> {
        let req = Requirement {
            optional,
            ..Requirement::new(Kind::Access)
        };
        let v = match verify(head, &req).await {
            Ok(Some(v)) => v,
            Ok(None) => {
                if optional && head.method() != http::Method::OPTIONS {
                    telemetry::accepted(Seen::default());
                }
                return Ok(None);
            }
            Err(e) => return Err(e.into_logged()),
        };
        let user = Self::user_of(&v);
        if user.is_ok() {
            telemetry::accepted(seen(&v));
        }
        user.map(Some).map_err(Rejection::into_logged)
    }

    fn user_of(v: &Verified) -> Result<Self, Rejection> {
        match v.user.as_deref().and_then(|u| u.downcast_ref::<U>()) {
            Some(user) => Ok(Self(user.clone())),
            None => Err(Rejection::new(
                JwtError::new(
                    ErrorKind::Misconfigured,
                    format!(
                        "CurrentUser<{}> needs a UserLoader with that user type (JwtManagerBuilder::user_loader)",
                        std::any::type_name::<U>()
                    ),
                ),
                Some(v.responder().clone()),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use serde::Deserialize;

    #[test]
    fn no_claims_accepts_anything() {
        let map: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(r#"{"a": [1, {"b": null}], "c": "d"}"#).unwrap();
        assert_eq!(NoClaims::deserialize(&map).unwrap(), NoClaims);
    }
}
