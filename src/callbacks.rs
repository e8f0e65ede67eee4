//! Callback traits: Flask-JWT-Extended's loaders, as traits that closures implement.

use std::any::Any;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::claims::DecodedToken;
use crate::error::BoxError;

/// Extra claims for every new token (`additional_claims_loader`), from the identity.
///
/// Implemented by closures `Fn(&Value) -> Map<String, Value>`.
///
/// ```
/// use jwt_extended::JwtManager;
/// use serde_json::{json, Map, Value};
///
/// let manager = JwtManager::builder()
///     .secret("an-example-secret-of-at-least-32-bytes!")
///     .additional_claims(|identity: &Value| {
///         let mut claims = Map::new();
///         claims.insert("is_admin".into(), json!(identity == "admin"));
///         claims
///     })
///     .build()?;
/// let token = manager.create_access_token("admin")?;
/// assert_eq!(manager.decode_token(&token)?.claim("is_admin"), Some(&json!(true)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
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

/// Extra JOSE headers for every new token (`additional_headers_loader`), from the identity.
///
/// Implemented by closures `Fn(&Value) -> Map<String, Value>`.
///
/// ```
/// use jwt_extended::JwtManager;
/// use serde_json::{json, Map, Value};
///
/// let manager = JwtManager::builder()
///     .secret("an-example-secret-of-at-least-32-bytes!")
///     .additional_headers(|_: &Value| Map::from_iter([("x-tenant".to_string(), json!("acme"))]))
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

/// Loads the application's user for a verified token (`user_lookup_loader`). The user is
/// then available to handlers through [`CurrentUser`](crate::CurrentUser).
///
/// `Ok(None)` (no such user) answers `401 Error loading the user <identity>`; `Err(_)` (the
/// user store failed) answers `503`.
///
/// ```
/// use jwt_extended::{BoxError, DecodedToken, JwtManager, UserLoader};
///
/// #[derive(Clone)]
/// struct User { id: String }
///
/// struct Users;
///
/// #[async_trait::async_trait]
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
    async fn load(&self, token: &DecodedToken) -> Result<Option<AnyUser>, BoxError>;
}

pub(crate) struct Erased<L>(pub(crate) L);

#[async_trait::async_trait]
impl<L: UserLoader> ErasedUserLoader for Erased<L> {
    async fn load(&self, token: &DecodedToken) -> Result<Option<AnyUser>, BoxError> {
        Ok(self
            .0
            .load_user(token)
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
/// request through. Implemented by closures `Fn(&DecodedToken) -> bool`.
///
/// ```
/// use jwt_extended::{DecodedToken, JwtManager};
///
/// let manager = JwtManager::builder()
///     .secret("an-example-secret-of-at-least-32-bytes!")
///     .blocklist(|token: &DecodedToken| token.subject() == Some("banned"))
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
/// Implemented by closures `Fn(&DecodedToken) -> bool`.
///
/// ```
/// use jwt_extended::{DecodedToken, JwtManager};
///
/// let manager = JwtManager::builder()
///     .secret("an-example-secret-of-at-least-32-bytes!")
///     .claims_verifier(|token: &DecodedToken| token.claim("tenant").is_some())
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
