//! Callback traits: Flask-JWT-Extended's loaders, as traits that closures implement.

use serde_json::{Map, Value};

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
