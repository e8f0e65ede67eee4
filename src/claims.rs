//! Decoded tokens: the verified header and claims, with typed access to the claims
//! Flask-JWT-Extended defines (`type`, `fresh`, `jti`, `csrf`, `exp`, `iat`, `nbf`).

use std::fmt;
use std::sync::Arc;

use jsonwebtoken::Algorithm;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// The identity claim of a verified token (`get_jwt_identity()`), borrowed from it.
///
/// It prints as Flask prints the identity in an f-string: a string without quotes
/// (`Hello user 1!`), any other JSON value as JSON. It compares with strings, serializes as
/// its JSON value (so `json!({"logged_in_as": jwt.identity()})` works), creates new tokens
/// for the same identity (it is an [`Identity`](crate::Identity)), and dereferences to the
/// [`serde_json::Value`].
///
/// ```
/// use jwt_extended::JwtManager;
///
/// let manager = JwtManager::builder().secret("an-example-secret-of-at-least-32-bytes!").build()?;
/// let decoded = manager.decode_token(&manager.create_access_token(1)?)?;
/// let user = decoded.identity();
/// assert_eq!(format!("Hello user {}!", user), "Hello user 1!");
/// assert_eq!(user, "1");
/// assert_eq!(user.as_value(), &serde_json::json!("1"));
/// assert_eq!(serde_json::json!({ "logged_in_as": user }), serde_json::json!({ "logged_in_as": "1" }));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy)]
pub struct IdentityRef<'a>(&'a Value);

impl<'a> IdentityRef<'a> {
    /// The identity claim's JSON value.
    pub fn as_value(&self) -> &'a Value {
        self.0
    }

    /// The identity when it is a string (always, unless `verify_sub` is off or the identity
    /// claim is not `sub`).
    pub fn as_str(&self) -> Option<&'a str> {
        self.0.as_str()
    }
}

impl std::ops::Deref for IdentityRef<'_> {
    type Target = Value;

    fn deref(&self) -> &Value {
        self.0
    }
}

impl fmt::Display for IdentityRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Value::String(s) => f.write_str(s),
            other => fmt::Display::fmt(other, f),
        }
    }
}

impl fmt::Debug for IdentityRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0, f)
    }
}

impl serde::Serialize for IdentityRef<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl PartialEq for IdentityRef<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl PartialEq<str> for IdentityRef<'_> {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for IdentityRef<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for IdentityRef<'_> {
    fn eq(&self, other: &String) -> bool {
        self.0 == other.as_str()
    }
}

impl PartialEq<Value> for IdentityRef<'_> {
    fn eq(&self, other: &Value) -> bool {
        self.0 == other
    }
}

impl PartialEq<&Value> for IdentityRef<'_> {
    fn eq(&self, other: &&Value) -> bool {
        self.0 == *other
    }
}

impl From<IdentityRef<'_>> for Value {
    fn from(identity: IdentityRef<'_>) -> Value {
        identity.0.clone()
    }
}

/// The `type` claim of a token.
///
/// As in Flask-JWT-Extended, a missing `type` is an access token, and an unknown type
/// (say `"app"`) passes where an access token is required.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenType {
    /// `"access"`, or no `type` claim.
    Access,
    /// `"refresh"`.
    Refresh,
    /// Any other string.
    Other(Box<str>),
}

impl TokenType {
    /// The claim value (`"access"` for a token without a `type` claim).
    pub fn as_str(&self) -> &str {
        match self {
            Self::Access => "access",
            Self::Refresh => "refresh",
            Self::Other(s) => s,
        }
    }

    /// `true` for every type but `refresh` (what `jwt_required()` accepts).
    pub fn is_access(&self) -> bool {
        !matches!(self, Self::Refresh)
    }
}

impl fmt::Display for TokenType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `fresh` claim of a token.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Freshness {
    /// `true` or `false` (a missing claim is `false`).
    Bool(bool),
    /// A Unix timestamp (possibly fractional): fresh until then.
    Until(f64),
    /// Any other JSON value: never fresh.
    Invalid,
}

impl Freshness {
    /// Whether the token counts as fresh at `now` (seconds since the epoch, fractional):
    /// `true`, or a timestamp that is at least `now`.
    pub fn is_fresh_at(self, now: f64) -> bool {
        match self {
            Self::Bool(b) => b,
            Self::Until(until) => until >= now,
            Self::Invalid => false,
        }
    }
}

/// A verified token: its header and claims, as Flask-JWT-Extended's `get_jwt_header()`
/// and `get_jwt()` return them, plus typed accessors.
///
/// ```
/// use jwt_extended::{JwtManager, TokenType};
///
/// let manager = JwtManager::builder()
///     .secret("an-example-secret-of-at-least-32-bytes!")
///     .build()?;
/// let token = manager.access_token("alice").claim("is_admin", true).fresh(true).create()?;
/// let decoded = manager.decode_token(&token)?;
/// assert_eq!(decoded.subject(), Some("alice"));
/// assert_eq!(decoded.token_type(), &TokenType::Access);
/// assert_eq!(decoded.claim("is_admin"), Some(&serde_json::json!(true)));
/// assert!(decoded.jti().is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct DecodedToken {
    /// Shared by the tokens that have the same header text.
    pub(crate) header: Arc<Map<String, Value>>,
    pub(crate) claims: Map<String, Value>,
    /// [`claim_bit`] of every claim name: most lookups of an absent claim stop here.
    pub(crate) names: u64,
    /// The identity claim when it is a string, and the `jti` claim when it is one: read on
    /// every request (revocation, handlers), so kept at hand.
    pub(crate) subject: Option<Box<str>>,
    pub(crate) jti: Option<Box<str>>,
    pub(crate) identity_claim: Arc<str>,
    pub(crate) algorithm: Algorithm,
    pub(crate) token_type: TokenType,
    pub(crate) fresh: Freshness,
    pub(crate) exp: Option<u64>,
    pub(crate) iat: Option<u64>,
    pub(crate) nbf: Option<u64>,
    /// Verified with an external issuer's keys and rules (`JwtManagerBuilder::issuer`).
    pub(crate) external: bool,
}

impl fmt::Debug for DecodedToken {
    // Claims may hold personal data: print only their names.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecodedToken")
            .field("algorithm", &self.algorithm)
            .field("token_type", &self.token_type)
            .field("exp", &self.exp)
            .field("claims", &self.claims.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// One of 64 bits for a claim name (from its length and its first and last bytes).
pub(crate) fn claim_bit(name: &str) -> u64 {
    let b = name.as_bytes();
    let first = u64::from(b.first().copied().unwrap_or(0));
    let last = u64::from(b.last().copied().unwrap_or(0));
    let mix = (b.len() as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (first << 8 | last);
    1 << (mix.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 58)
}

impl DecodedToken {
    /// A claim by name. Claims are few, so a scan that compares lengths first beats the
    /// tree's search; a name whose bit is not set is not there at all.
    fn find(&self, name: &str) -> Option<&Value> {
        if self.names & claim_bit(name) == 0 {
            return None;
        }
        if self.claims.len() > 16 {
            return self.claims.get(name);
        }
        self.claims
            .iter()
            .find(|(k, _)| k.len() == name.len() && **k == *name)
            .map(|(_, v)| v)
    }

    /// The JOSE header (`alg`, `typ`, `kid`, and any extra headers).
    pub fn header(&self) -> &Map<String, Value> {
        &self.header
    }

    /// All claims of the payload.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// One claim by name.
    pub fn claim(&self, name: &str) -> Option<&Value> {
        self.find(name)
    }

    /// Deserializes the claims into the application's own type.
    ///
    /// ```
    /// # use jwt_extended::JwtManager;
    /// #[derive(serde::Deserialize)]
    /// struct Claims { sub: String, is_admin: bool }
    ///
    /// # let manager = JwtManager::builder().secret("an-example-secret-of-at-least-32-bytes!").build()?;
    /// let token = manager.access_token("alice").claim("is_admin", true).create()?;
    /// let claims: Claims = manager.decode_token(&token)?.claims_as()?;
    /// assert!(claims.is_admin && claims.sub == "alice");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn claims_as<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        T::deserialize(&self.claims)
    }

    /// The identity claim (`sub` unless configured otherwise): Flask-JWT-Extended's
    /// `get_jwt_identity()`. It is always present in a verified token; it is a string unless
    /// `verify_sub` was turned off. It prints as Flask prints it (`1`, not `"1"`); the JSON
    /// value is [`as_value`](IdentityRef::as_value).
    pub fn identity(&self) -> IdentityRef<'_> {
        IdentityRef(self.find(&self.identity_claim).unwrap_or(&Value::Null))
    }

    /// The identity claim when it is a string.
    pub fn subject(&self) -> Option<&str> {
        self.subject.as_deref()
    }

    /// The `jti` claim (the token's unique id), when present.
    pub fn jti(&self) -> Option<&str> {
        self.jti.as_deref()
    }

    /// The `csrf` claim, when present.
    pub fn csrf(&self) -> Option<&str> {
        self.find("csrf").and_then(Value::as_str)
    }

    /// The token type (`type` claim; `access` when absent).
    pub fn token_type(&self) -> &TokenType {
        &self.token_type
    }

    /// The `fresh` claim (`Bool(false)` when absent).
    pub fn fresh(&self) -> Freshness {
        self.fresh
    }

    /// `exp`, in seconds since the epoch, when present.
    pub fn expires_at(&self) -> Option<u64> {
        self.exp
    }

    /// `iat`, in seconds since the epoch, when present.
    pub fn issued_at(&self) -> Option<u64> {
        self.iat
    }

    /// `nbf`, in seconds since the epoch, when present.
    pub fn not_before(&self) -> Option<u64> {
        self.nbf
    }

    /// The algorithm the token was verified with.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The `kid` header, when present.
    pub fn kid(&self) -> Option<&str> {
        self.header.get("kid").and_then(Value::as_str)
    }
}
