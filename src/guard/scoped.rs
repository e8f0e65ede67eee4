//! [`Scoped`] and [`HasRoles`]: a guard, plus the scopes or roles a type names
//! (see [`crate::scope`] for how tokens carry them).

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;

use http::{Request, request::Parts};

use super::{JwtRejection, JwtRequired, Observe, Rejection, RequestHead, Verified, finish, seen};
use crate::scope::RequiredRoles;
use crate::scope::{RoleSet, ScopeSet, has_roles, insufficient_scope, missing_role};
use crate::telemetry::Seen;

// The sealed-trait pattern: `Sealed` is public so that `TokenGuard` can name it, but its
// module is not, so the crate-private types in its signatures stay unreachable.
#[allow(private_interfaces, private_bounds)]
pub(crate) mod sealed {
    use std::future::Future;

    use super::super::{Rejection, RequestHead, Verified};

    /// What [`TokenGuard`](super::TokenGuard) needs of a guard; not implementable outside
    /// the crate.
    pub trait Sealed: Sized {
        /// Runs the guard without recording the verification (its caller does).
        fn run_guard<H: RequestHead>(
            head: &mut H,
        ) -> impl Future<Output = Result<Self, Rejection>> + Send;

        /// What the guard verified.
        fn verified(&self) -> &Verified;
    }
}

/// A guard that [`Scoped`] and [`HasRoles`] can wrap: [`JwtRequired`],
/// [`FreshJwtRequired`](crate::FreshJwtRequired),
/// [`RefreshJwtRequired`](crate::RefreshJwtRequired) and
/// [`AnyJwtRequired`](crate::AnyJwtRequired), with any claims type. Sealed.
pub trait TokenGuard: sealed::Sealed + Send + Sync + 'static {}

/// The guard `G` (default [`JwtRequired`]), and the OAuth scopes the type `S` names
/// (declared with [`scopes!`](crate::scopes!)): `Scoped<ReadItems>`,
/// `Scoped<WriteItems, FreshJwtRequired>`.
///
/// A token without the scopes is refused with `403`
/// ([`ErrorKind::InsufficientScope`](crate::ErrorKind::InsufficientScope); in the RFC 6750
/// style with `WWW-Authenticate: Bearer error="insufficient_scope", scope="..."`). Every
/// other check of `G` runs first. It dereferences to `G`.
///
/// ```
/// use std::convert::Infallible;
/// use http::{Request, Response};
/// use jwt_extended::{JwtManager, Scoped, scopes};
/// use tower::{ServiceBuilder, ServiceExt};
///
/// scopes!(pub ReadItems = "read:items");
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let manager = JwtManager::builder().secret("an-example-secret-of-at-least-32-bytes!").build()?;
/// // In axum, `Scoped<ReadItems>` is an extractor; in a plain service, call it.
/// let svc = ServiceBuilder::new().layer(manager.layer()).service_fn(|mut req: Request<()>| async move {
///     let res = match Scoped::<ReadItems>::from_request(&mut req).await {
///         Ok(jwt) => Response::new(format!("items of {}", jwt.subject().unwrap_or("?"))),
///         Err(refused) => refused.into_response().map(|b| String::from_utf8_lossy(&b).into_owned()),
///     };
///     Ok::<_, Infallible>(res)
/// });
///
/// let token = manager.access_token("alice").claim("scope", "profile").create()?;
/// let req = Request::get("/items").header("authorization", format!("Bearer {token}")).body(())?;
/// let res = svc.clone().oneshot(req).await?;
/// assert_eq!(res.status(), 403);
/// assert_eq!(res.body(), r#"{"msg":"Insufficient scope, required: read:items"}"#);
///
/// let token = manager.access_token("alice").claim("scope", "profile read:items").create()?;
/// let req = Request::get("/items").header("authorization", format!("Bearer {token}")).body(())?;
/// assert_eq!(svc.oneshot(req).await?.status(), 200);
/// # Ok(())
/// # }
/// ```
pub struct Scoped<S, G = JwtRequired> {
    guard: G,
    scopes: PhantomData<fn() -> S>,
}

/// The guard `G` (default [`JwtRequired`]), and the roles the type `R` names at its claim
/// path (declared with [`roles!`](crate::roles!)): `HasRoles<RealmAdmin>`.
///
/// A token without the roles is refused with `403`
/// ([`ErrorKind::Forbidden`](crate::ErrorKind::Forbidden)). Every other check of `G` runs
/// first. It dereferences to `G`.
///
/// ```
/// # #[cfg(feature = "axum")] {
/// use jwt_extended::{HasRoles, roles};
///
/// roles!(pub RealmAdmin = "admin" in ["realm_access", "roles"]);
///
/// async fn admin(jwt: HasRoles<RealmAdmin>) -> String {
///     format!("admin {}", jwt.subject().unwrap_or("?"))
/// }
/// # }
/// ```
pub struct HasRoles<R, G = JwtRequired> {
    guard: G,
    roles: PhantomData<fn() -> R>,
}

macro_rules! wrapper {
    ($name:ident, $set:ident, $what:literal) => {
        impl<T, G> $name<T, G> {
            /// The guard.
            pub fn guard(&self) -> &G {
                &self.guard
            }

            /// The guard, by value.
            pub fn into_inner(self) -> G {
                self.guard
            }
        }

        impl<T: $set, G: TokenGuard> $name<T, G> {
            #[doc = concat!("Runs the guard and checks the ", $what, " on request parts (the function form of the extractor).")]
            pub async fn from_parts(parts: &mut Parts) -> Result<Self, JwtRejection> {
                finish(Self::run(parts).await)
            }

            #[doc = concat!("Runs the guard and checks the ", $what, " on a request.")]
            pub async fn from_request<B: Send>(
                req: &mut Request<B>,
            ) -> Result<Self, JwtRejection> {
                finish(Self::run(req).await)
            }
        }

        impl<T, G> Deref for $name<T, G> {
            type Target = G;

            fn deref(&self) -> &G {
                &self.guard
            }
        }

        impl<T, G: Clone> Clone for $name<T, G> {
            fn clone(&self) -> Self {
                Self {
                    guard: self.guard.clone(),
                    ..*self
                }
            }
        }

        impl<T, G: fmt::Debug> fmt::Debug for $name<T, G> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field($what, &std::any::type_name::<T>())
                    .field("guard", &self.guard)
                    .finish()
            }
        }

        impl<T, G: TokenGuard> Observe for $name<T, G> {
            fn seen(&self) -> Seen<'_> {
                seen(self.guard.verified())
            }
        }
    };
}

wrapper!(Scoped, ScopeSet, "scopes");
wrapper!(HasRoles, RoleSet, "roles");

fn refuse(verified: &Verified, error: crate::error::JwtError) -> Rejection {
    Rejection::new(
        error.with_token(verified.token.clone()),
        Some(verified.responder().clone()),
    )
    .seen(verified.location, verified.cache_hit)
}

impl<S: ScopeSet, G: TokenGuard> Scoped<S, G> {
    async fn run<H: RequestHead>(head: &mut H) -> Result<Self, Rejection> {
        let guard = G::run_guard(head).await?;
        let verified = guard.verified();
        let wanted = S::SCOPES.iter().copied();
        let granted = match S::MATCH {
            crate::scope::Match::All => wanted.clone().all(|s| verified.token.has_scope(s)),
            crate::scope::Match::Any => wanted.clone().any(|s| verified.token.has_scope(s)),
        };
        if !granted {
            return Err(refuse(verified, insufficient_scope(S::MATCH, wanted)));
        }
        Ok(Self {
            guard,
            scopes: PhantomData,
        })
    }
}

impl<R: RoleSet, G: TokenGuard> HasRoles<R, G> {
    async fn run<H: RequestHead>(head: &mut H) -> Result<Self, Rejection> {
        let guard = G::run_guard(head).await?;
        let verified = guard.verified();
        let path = R::PATH.iter().copied();
        let wanted = R::ROLES.iter().copied();
        if !has_roles(&verified.token, path, R::MATCH, wanted.clone()) {
            return Err(refuse(verified, missing_role(R::MATCH, wanted)));
        }
        Ok(Self {
            guard,
            roles: PhantomData,
        })
    }

    /// The roles `R` names, as a run-time requirement.
    pub fn required() -> RequiredRoles {
        RequiredRoles::of::<R>()
    }
}
