//! Callbacks: Flask-JWT-Extended's loaders. Each is a closure form on the builder (written
//! as a Flask user writes the loader, without type annotations) and a trait for loaders
//! that are types of their own (the builder's `*_loader` methods).

use std::any::Any;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::claims::DecodedToken;
use crate::error::{BoxError, JwtError};

/// What an additional-claims or additional-headers closure may return: a JSON object, as a
/// [`serde_json::Map`] or as a [`Value`] (`json!({"is_admin": true})`, what Flask's loaders
/// return). A `Value` that is not an object makes token creation fail with a clear
/// [`JwtError`], never a panic.
pub trait IntoClaims {
    /// The object's members, or why there are none.
    fn into_claims(self) -> Result<Map<String, Value>, JwtError>;
}

impl IntoClaims for Map<String, Value> {
    fn into_claims(self) -> Result<Map<String, Value>, JwtError> {
        Ok(self)
    }
}

impl IntoClaims for Value {
    fn into_claims(self) -> Result<Map<String, Value>, JwtError> {
        match self {
            Value::Object(map) => Ok(map),
            _ => Err(JwtError::creation(
                "an additional claims or headers loader must return a JSON object",
            )),
        }
    }
}

/// The claims and headers loaders as the issuer runs them, whatever form they were given in.
pub(crate) trait ObjectLoader: Send + Sync + 'static {
    fn load(&self, identity: &Value) -> Result<Map<String, Value>, JwtError>;
}

/// An [`AdditionalClaims`] implementation.
pub(crate) struct ClaimsImpl<T>(pub(crate) T);

impl<T: AdditionalClaims> ObjectLoader for ClaimsImpl<T> {
    fn load(&self, identity: &Value) -> Result<Map<String, Value>, JwtError> {
        Ok(self.0.additional_claims(identity))
    }
}

/// An [`AdditionalHeaders`] implementation.
pub(crate) struct HeadersImpl<T>(pub(crate) T);

impl<T: AdditionalHeaders> ObjectLoader for HeadersImpl<T> {
    fn load(&self, identity: &Value) -> Result<Map<String, Value>, JwtError> {
        Ok(self.0.additional_headers(identity))
    }
}

/// A closure returning anything [`IntoClaims`].
pub(crate) struct ObjectFn<F, R>(pub(crate) F, pub(crate) PhantomData<fn() -> R>);

impl<F, R> ObjectLoader for ObjectFn<F, R>
where
    F: Fn(&Value) -> R + Send + Sync + 'static,
    R: IntoClaims + 'static,
{
    fn load(&self, identity: &Value) -> Result<Map<String, Value>, JwtError> {
        (self.0)(identity).into_claims()
    }
}

/// Extra claims for every new token (`additional_claims_loader`), from the identity, for a
/// loader that is a type of its own
/// ([`JwtManagerBuilder::additional_claims_loader`](crate::JwtManagerBuilder::additional_claims_loader)).
/// A closure goes to
/// [`JwtManagerBuilder::additional_claims`](crate::JwtManagerBuilder::additional_claims):
///
/// ```
/// use jwt_extended::JwtManager;
/// use serde_json::json;
///
/// let manager = JwtManager::builder()
///     .secret("an-example-secret-of-at-least-32-bytes!")
///     .additional_claims(|identity| json!({ "is_admin": identity == "1" }))
///     .build()?;
/// let token = manager.create_access_token(1)?;
/// assert_eq!(manager.decode_token(&token)?.claim("is_admin"), Some(&json!(true)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// The trait form:
///
/// ```
/// use jwt_extended::{callbacks::AdditionalClaims, JwtManager};
/// use serde_json::{json, Map, Value};
///
/// struct Roles;
///
/// impl AdditionalClaims for Roles {
///     fn additional_claims(&self, identity: &Value) -> Map<String, Value> {
///         Map::from_iter([("roles".to_string(), json!(if identity == "1" { vec!["admin"] } else { vec![] }))])
///     }
/// }
///
/// let manager = JwtManager::builder()
///     .secret("an-example-secret-of-at-least-32-bytes!")
///     .additional_claims_loader(Roles)
///     .build()?;
/// # Ok::<(), jwt_extended::ConfigError>(())
/// ```
pub trait AdditionalClaims: Send + Sync + 'static {
    /// The claims to add to a token for `identity`.
    fn additional_claims(&self, identity: &Value) -> Map<String, Value>;
}

impl<F> AdditionalClaims for F
where
    F: Fn(&Value) -> Map<String, Value> + Send + Sync + 'static,
{
    fn additional_claims(&self, identity: &Value) -> Map<String, Value> {
        self(identity)
    }
}

/// Extra JOSE headers for every new token (`additional_headers_loader`), from the identity,
/// for a loader that is a type of its own
/// ([`JwtManagerBuilder::additional_headers_loader`](crate::JwtManagerBuilder::additional_headers_loader)).
/// A closure goes to
/// [`JwtManagerBuilder::additional_headers`](crate::JwtManagerBuilder::additional_headers):
///
/// ```
/// use jwt_extended::JwtManager;
/// use serde_json::json;
///
/// let manager = JwtManager::builder()
///     .secret("an-example-secret-of-at-least-32-bytes!")
///     .additional_headers(|_identity| json!({ "x-tenant": "acme" }))
///     .build()?;
/// let token = manager.create_access_token("alice")?;
/// assert_eq!(manager.decode_token(&token)?.header()["x-tenant"], "acme");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait AdditionalHeaders: Send + Sync + 'static {
    /// The header parameters to add to a token for `identity`.
    fn additional_headers(&self, identity: &Value) -> Map<String, Value>;
}

impl<F> AdditionalHeaders for F
where
    F: Fn(&Value) -> Map<String, Value> + Send + Sync + 'static,
{
    fn additional_headers(&self, identity: &Value) -> Map<String, Value> {
        self(identity)
    }
}

/// Loads the application's user for a verified token (`user_lookup_loader`), for a loader
/// that is a type of its own
/// ([`JwtManagerBuilder::user_loader`](crate::JwtManagerBuilder::user_loader)). The user is
/// then available to handlers through [`CurrentUser`](crate::CurrentUser).
///
/// `Ok(None)` (no such user) answers `401 Error loading the user <identity>`; `Err(_)` (the
/// user store failed) answers `503`.
///
/// An async closure or a plain `async fn` goes to
/// [`JwtManagerBuilder::load_user`](crate::JwtManagerBuilder::load_user):
///
/// ```
/// use std::sync::Arc;
/// use jwt_extended::{BoxError, DecodedToken, JwtManager};
///
/// #[derive(Clone)]
/// struct User { id: String }
///
/// async fn user_lookup(token: Arc<DecodedToken>) -> Result<Option<User>, BoxError> {
///     Ok(token.subject().map(|id| User { id: id.to_owned() }))
/// }
///
/// let manager = JwtManager::builder()
///     .secret("an-example-secret-of-at-least-32-bytes!")
///     .load_user(user_lookup) // or .load_user(|token| async move { ... })
///     .build()?;
/// # Ok::<(), jwt_extended::ConfigError>(())
/// ```
///
/// The trait is an `async_trait`, re-exported as [`jwt_extended::async_trait`](crate::async_trait):
///
/// ```
/// use jwt_extended::{BoxError, DecodedToken, JwtManager, UserLoader};
///
/// #[derive(Clone)]
/// struct User { id: String }
///
/// struct Users;
///
/// #[jwt_extended::async_trait]
/// impl UserLoader for Users {
///     type User = User;
///
///     async fn load_user(&self, token: &DecodedToken) -> Result<Option<User>, BoxError> {
///         Ok(token.subject().map(|id| User { id: id.to_owned() }))
///     }
/// }
///
/// let manager = JwtManager::builder()
///     .secret("an-example-secret-of-at-least-32-bytes!")
///     .user_loader(Users)
///     .build()?;
/// # Ok::<(), jwt_extended::ConfigError>(())
/// ```
#[async_trait::async_trait]
pub trait UserLoader: Send + Sync + 'static {
    /// The application's user type.
    type User: Clone + Send + Sync + 'static;

    /// The user the token belongs to, if it still exists.
    async fn load_user(&self, token: &DecodedToken) -> Result<Option<Self::User>, BoxError>;
}

/// A user, type-erased, as the guards carry it.
pub(crate) type AnyUser = Arc<dyn Any + Send + Sync>;

#[async_trait::async_trait]
pub(crate) trait ErasedUserLoader: Send + Sync + 'static {
    async fn load(&self, token: &Arc<DecodedToken>) -> Result<Option<AnyUser>, BoxError>;
}

pub(crate) struct Erased<L>(pub(crate) L);

#[async_trait::async_trait]
impl<L: UserLoader> ErasedUserLoader for Erased<L> {
    async fn load(&self, token: &Arc<DecodedToken>) -> Result<Option<AnyUser>, BoxError> {
        Ok(self
            .0
            .load_user(token)
            .await?
            .map(|u| Arc::new(u) as AnyUser))
    }
}

/// An async closure or `async fn` loading the user.
pub(crate) struct UserFn<F, U>(pub(crate) F, pub(crate) PhantomData<fn() -> U>);

#[async_trait::async_trait]
impl<F, Fut, U> ErasedUserLoader for UserFn<F, U>
where
    F: Fn(Arc<DecodedToken>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Option<U>, BoxError>> + Send + 'static,
    U: Clone + Send + Sync + 'static,
{
    async fn load(&self, token: &Arc<DecodedToken>) -> Result<Option<AnyUser>, BoxError> {
        Ok((self.0)(token.clone())
            .await?
            .map(|u| Arc::new(u) as AnyUser))
    }
}

/// The callbacks every guard runs after the built-in checks: claims verification, then
/// user lookup. (The blocklist runs with the revocation check.)
#[derive(Default)]
pub(crate) struct GuardCallbacks {
    pub(crate) claims_verifier: Option<Arc<dyn ClaimsVerifier>>,
    pub(crate) user_loader: Option<Arc<dyn ErasedUserLoader>>,
}

/// Decides whether a verified token is revoked (`token_in_blocklist_loader`), in addition
/// to the [revocation store](crate::store), if any.
///
/// `Ok(true)` answers `401 Token has been revoked`; `Err(_)` answers `503`, never lets the
/// request through. A closure goes to
/// [`JwtManagerBuilder::blocklist`](crate::JwtManagerBuilder::blocklist); an async check
/// (a database, a cache) implements this trait and goes to
/// [`JwtManagerBuilder::blocklist_loader`](crate::JwtManagerBuilder::blocklist_loader).
///
/// ```
/// use std::collections::HashSet;
/// use std::sync::{Arc, Mutex};
/// use jwt_extended::JwtManager;
///
/// let blocklist: Arc<Mutex<HashSet<String>>> = Arc::default();
/// let revoked = blocklist.clone();
/// let manager = JwtManager::builder()
///     .secret("an-example-secret-of-at-least-32-bytes!")
///     .blocklist(move |token| token.jti().is_some_and(|jti| revoked.lock().unwrap().contains(jti)))
///     .build()?;
/// # Ok::<(), jwt_extended::ConfigError>(())
/// ```
///
/// The trait form:
///
/// ```
/// use jwt_extended::{callbacks::Blocklist, BoxError, DecodedToken, JwtManager};
///
/// struct Banned;
///
/// #[jwt_extended::async_trait]
/// impl Blocklist for Banned {
///     async fn is_revoked(&self, token: &DecodedToken) -> Result<bool, BoxError> {
///         Ok(token.subject() == Some("banned")) // an async database query in real life
///     }
/// }
///
/// let manager = JwtManager::builder()
///     .secret("an-example-secret-of-at-least-32-bytes!")
///     .blocklist_loader(Banned)
///     .build()?;
/// # Ok::<(), jwt_extended::ConfigError>(())
/// ```
#[async_trait::async_trait]
pub trait Blocklist: Send + Sync + 'static {
    /// Whether `token` is revoked.
    async fn is_revoked(&self, token: &DecodedToken) -> Result<bool, BoxError>;
}

#[async_trait::async_trait]
impl<F> Blocklist for F
where
    F: Fn(&DecodedToken) -> bool + Send + Sync + 'static,
{
    async fn is_revoked(&self, token: &DecodedToken) -> Result<bool, BoxError> {
        Ok(self(token))
    }
}

/// Verifies the claims of a token after the built-in checks (`token_verification_loader`).
///
/// `Ok(false)` answers `400 User claims verification failed`; `Err(_)` answers `503`.
/// A closure goes to
/// [`JwtManagerBuilder::claims_verifier`](crate::JwtManagerBuilder::claims_verifier); a type
/// implementing this trait to
/// [`JwtManagerBuilder::claims_verifier_loader`](crate::JwtManagerBuilder::claims_verifier_loader).
///
/// ```
/// use jwt_extended::JwtManager;
///
/// let manager = JwtManager::builder()
///     .secret("an-example-secret-of-at-least-32-bytes!")
///     .claims_verifier(|token| token.claim("tenant").is_some())
///     .build()?;
/// # Ok::<(), jwt_extended::ConfigError>(())
/// ```
#[async_trait::async_trait]
pub trait ClaimsVerifier: Send + Sync + 'static {
    /// Whether the token's claims are acceptable.
    async fn verify_claims(&self, token: &DecodedToken) -> Result<bool, BoxError>;
}

#[async_trait::async_trait]
impl<F> ClaimsVerifier for F
where
    F: Fn(&DecodedToken) -> bool + Send + Sync + 'static,
{
    async fn verify_claims(&self, token: &DecodedToken) -> Result<bool, BoxError> {
        Ok(self(token))
    }
}
