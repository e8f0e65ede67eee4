//! Token creation: [`TokenBuilder`] with Flask-JWT-Extended's per-token options,
//! [`TokenPair`]s, and the [`Identity`] conversion from the application's user to the
//! identity claim.
//!
//! Builders work on an [`Issuer`] (the creation settings, the signing key, the clock and the
//! claims and headers loaders), not on the whole manager. Which claims the crate owns (so an
//! application may neither set them nor have them carried over into a re-issued token) is
//! decided in one place: [`Issuer::owns_claim`].

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::{Map, Value};
use time::{Duration, OffsetDateTime};

use crate::callbacks::ObjectLoader;
use crate::claims::{DecodedToken, Freshness, IdentityRef, TokenType};
use crate::clock::Clock;
use crate::duration::IntoDuration;
use crate::error::{Answer, JwtError};
use crate::keys::SignKey;

/// Turns the application's user (or id) into the identity claim (`sub`): Flask-JWT-Extended's
/// `user_identity_loader`.
///
/// Implemented for strings, integers, UUIDs and JSON values; implement it for your user
/// type to pass the user itself to [`JwtManager::create_access_token`](crate::JwtManager::create_access_token).
///
/// The identity claim is written as a string, which is what Flask-JWT-Extended (and this
/// crate) require of `sub` when verifying: an integer goes in as its decimal form
/// (`create_access_token(42)` writes `"sub": "42"`), a boolean as `"true"` / `"false"`. A
/// JSON `null`, array or object cannot be a `sub`: creating the token fails with a
/// [`JwtError`] (it is kept as it is only under a custom
/// [`identity_claim`](crate::JwtManagerBuilder::identity_claim) or with
/// [`verify_sub(false)`](crate::JwtManagerBuilder::verify_sub)). A manager never issues a
/// token it would refuse.
///
/// ```
/// use jwt_extended::JwtManager;
///
/// let manager = JwtManager::builder().secret("an-example-secret-of-at-least-32-bytes!").build()?;
/// let token = manager.create_access_token(42)?; // Flask: create_access_token(identity=user.id)
/// let decoded = manager.decode_token(&token)?;
/// assert_eq!(decoded.subject(), Some("42"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// ```
/// use jwt_extended::{Identity, JwtManager};
/// use serde_json::Value;
///
/// struct User { id: u64, name: String }
///
/// impl Identity for User {
///     fn identity(&self) -> Value {
///         Value::String(self.id.to_string())
///     }
/// }
///
/// let manager = JwtManager::builder().secret("an-example-secret-of-at-least-32-bytes!").build()?;
/// let user = User { id: 7, name: "alice".into() };
/// let token = manager.create_access_token(&user)?;
/// assert_eq!(manager.decode_token(&token)?.subject(), Some("7"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Identity {
    /// The identity claim's value. Flask-JWT-Extended (and, by default, this crate)
    /// require it to be a string when verifying.
    fn identity(&self) -> Value;
}

impl<T: Identity + ?Sized> Identity for &T {
    fn identity(&self) -> Value {
        (**self).identity()
    }
}

impl Identity for str {
    fn identity(&self) -> Value {
        Value::String(self.to_owned())
    }
}

impl Identity for String {
    fn identity(&self) -> Value {
        Value::String(self.clone())
    }
}

impl Identity for Value {
    fn identity(&self) -> Value {
        self.clone()
    }
}

impl Identity for IdentityRef<'_> {
    fn identity(&self) -> Value {
        self.as_value().clone()
    }
}

impl Identity for uuid::Uuid {
    fn identity(&self) -> Value {
        Value::String(self.to_string())
    }
}

/// Integers go into the identity claim as their decimal string: `sub` must be a string.
macro_rules! int_identity {
    ($($t:ty),*) => {$(
        impl Identity for $t {
            fn identity(&self) -> Value {
                Value::String(self.to_string())
            }
        }
    )*};
}
int_identity!(
    i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize
);

/// What new tokens are made from: the creation settings, the signing key, the clock and the
/// loaders. Owned by the manager; builders borrow it.
pub(crate) struct Issuer {
    pub(crate) access_expires: Option<Duration>,
    pub(crate) refresh_expires: Option<Duration>,
    pub(crate) identity_claim: Arc<str>,
    pub(crate) encode_nbf: bool,
    pub(crate) encode_audience: Option<Audience>,
    pub(crate) encode_issuer: Option<String>,
    pub(crate) csrf_protect: bool,
    pub(crate) require_exp: bool,
    /// The verifier requires `sub` to be a string (`JWT_VERIFY_SUB`).
    pub(crate) verify_sub: bool,
    /// `None` for a verification-only manager.
    pub(crate) signer: Option<SignKey>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) additional_claims: Option<Arc<dyn ObjectLoader>>,
    pub(crate) additional_headers: Option<Arc<dyn ObjectLoader>>,
    /// Refresh rotation is on: token pairs carry a rotation `family`.
    pub(crate) rotation: bool,
    /// How the manager answers errors, attached to creation errors.
    pub(crate) answer: Option<Answer>,
}

/// Claims the crate always writes itself.
pub(crate) const RESERVED: &[&str] = &[
    "type", "fresh", "exp", "iat", "nbf", "jti", "csrf", "pair", "family",
];

/// Whether the loaders of the issuer run for a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Loaders {
    Run,
    /// The build-time probe: no application code runs.
    Skip,
}

impl Issuer {
    /// The one rule for the claims the crate owns: the reserved ones, the identity claim, and
    /// `aud` / `iss` when the crate encodes them. An application cannot set them, and they
    /// are not carried over from one token into a token re-issued from it.
    pub(crate) fn owns_claim(&self, name: &str) -> bool {
        *name == *self.identity_claim || self.writes_besides_identity(name)
    }

    /// Whether `name` is a claim the crate writes other than the identity claim (which
    /// therefore cannot hold the identity).
    pub(crate) fn writes_besides_identity(&self, name: &str) -> bool {
        RESERVED.contains(&name)
            || (name == "aud" && self.encode_audience.is_some())
            || (name == "iss" && self.encode_issuer.is_some())
    }

    /// The identity claim's value for `identity`: a string, as the verifier requires of
    /// `sub` (numbers and booleans become their text). Other JSON values are kept only when
    /// the verifier would accept them (a custom identity claim, or `verify_sub(false)`): a
    /// manager never issues a token it refuses itself.
    fn identity_claim_value(&self, identity: Value) -> Result<Value, JwtError> {
        match identity {
            Value::String(_) => Ok(identity),
            Value::Number(n) => Ok(Value::String(n.to_string())),
            Value::Bool(b) => Ok(Value::String(b.to_string())),
            other if &*self.identity_claim != "sub" || !self.verify_sub => Ok(other),
            other => Err(JwtError::creation(format!(
                "the identity must be a string or a number, not {}: `sub` must be a string (implement Identity to return the user's id)",
                json_kind(&other)
            ))),
        }
    }

    /// `error`, answered by the manager's error responder.
    pub(crate) fn answered(&self, error: JwtError) -> JwtError {
        match &self.answer {
            Some(answer) => error.answered_by(answer),
            None => error,
        }
    }

    /// A builder for a new token of `token_type`.
    pub(crate) fn token(&self, identity: Value, token_type: TokenType) -> TokenBuilder<'_> {
        let (identity, error) = match self.identity_claim_value(identity) {
            Ok(v) => (v, None),
            Err(e) => (Value::Null, Some(e)),
        };
        TokenBuilder {
            issuer: self,
            draft: Draft::new(identity, token_type),
            error,
        }
    }

    /// A builder for an access and a refresh token issued together.
    pub(crate) fn pair(&self, identity: Value) -> TokenPairBuilder<'_> {
        let (identity, error) = match self.identity_claim_value(identity) {
            Ok(v) => (v, None),
            Err(e) => (Value::Null, Some(e)),
        };
        TokenPairBuilder {
            issuer: self,
            identity,
            fresh: false,
            claims: Map::new(),
            family: None,
            error,
        }
    }

    /// The claims of `token` the application set (none the crate owns), to carry over into
    /// tokens re-issued from it.
    pub(crate) fn application_claims<'t>(
        &self,
        token: &'t DecodedToken,
    ) -> impl Iterator<Item = (&'t String, &'t Value)> {
        token
            .claims()
            .iter()
            .filter(move |(name, _)| !self.owns_claim(name))
    }

    /// A new token for the same identity with the same application claims (and the crate's
    /// `pair`/`family` claims) as `token`.
    pub(crate) fn reissue(&self, token: &DecodedToken, token_type: TokenType) -> TokenBuilder<'_> {
        let mut builder = self.token(token.identity().as_value().clone(), token_type);
        for (name, value) in self.application_claims(token) {
            builder.draft.claims.insert(name.clone(), value.clone());
        }
        for name in ["pair", "family"] {
            if let Some(v) = token.claim(name) {
                builder = builder.internal_claim(name, v.clone());
            }
        }
        builder
    }

    /// The smallest token this issuer signs: a refresh token without application claims or
    /// loaders, with an expiry whatever the configuration. For the build-time size check.
    pub(crate) fn probe(&self) -> Result<String, JwtError> {
        let mut draft = Draft::new(Value::String("probe".into()), TokenType::Refresh);
        draft.expires = Expires::In(self.refresh_expires.unwrap_or(Duration::days(1)));
        self.sign(draft, Loaders::Skip)
    }

    /// Signs the token `draft` describes.
    fn sign(&self, draft: Draft, loaders: Loaders) -> Result<String, JwtError> {
        let now = self.clock.now();
        let now_nanos = i128::try_from(now.as_nanos()).unwrap_or(i128::MAX);
        let iat = now.as_secs();
        let fresh = self.fresh_claim(
            draft.fresh,
            draft.token_type == TokenType::Refresh,
            now_nanos,
        )?;
        let exp = self.exp_claim(
            draft.expires,
            draft.token_type == TokenType::Refresh,
            now_nanos,
        )?;

        let mut extras = match &self.additional_claims {
            Some(loader) if loaders == Loaders::Run => loader.load(&draft.identity)?,
            _ => Map::new(),
        };
        extras.extend(draft.claims);
        if let Some(name) = extras.keys().find(|name| self.owns_claim(name)) {
            return Err(JwtError::creation(format!(
                "additional claims may not override the reserved claim {name:?}"
            )));
        }

        extras.extend(draft.internal);

        let jti = uuid::Uuid::new_v4().to_string();
        let csrf = self.csrf_protect.then(|| uuid::Uuid::new_v4().to_string());
        let claims = OrderedClaims {
            fresh: &fresh,
            iat,
            jti: &jti,
            token_type: draft.token_type.as_str(),
            identity_claim: &self.identity_claim,
            identity: &draft.identity,
            nbf: self.encode_nbf.then_some(iat),
            csrf: csrf.as_deref(),
            aud: self.encode_audience.as_ref(),
            iss: self.encode_issuer.as_deref(),
            exp,
            extras: &extras,
        };

        let Some(signer) = &self.signer else {
            return Err(JwtError::creation("no signing key is configured"));
        };
        let header = self.header(signer, &draft.identity, draft.headers, loaders)?;
        let header_json = serde_json::to_vec(&header)
            .map_err(|e| JwtError::creation("header serialization failed").with_source(e))?;
        let claims_json = serde_json::to_vec(&claims)
            .map_err(|e| JwtError::creation("claims serialization failed").with_source(e))?;
        let mut token =
            String::with_capacity((header_json.len() + claims_json.len()) * 4 / 3 + 100);
        URL_SAFE_NO_PAD.encode_string(&header_json, &mut token);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&claims_json, &mut token);
        let signature = signer
            .sign(token.as_bytes())
            .map_err(|e| JwtError::creation("signing failed").with_source(e))?;
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&signature, &mut token);
        Ok(token)
    }

    /// The `fresh` claim: `false` unless asked for, a float timestamp for a duration or a
    /// time; refresh tokens are never fresh.
    fn fresh_claim(
        &self,
        fresh: Option<Fresh>,
        is_refresh: bool,
        now_nanos: i128,
    ) -> Result<Value, JwtError> {
        Ok(match (fresh, is_refresh) {
            (None, _) => Value::Bool(false),
            (Some(_), true) => {
                return Err(JwtError::creation("refresh tokens are never fresh"));
            }
            (Some(Fresh::Bool(b)), false) => Value::Bool(b),
            (Some(Fresh::For(d)), false) => {
                let until = now_nanos
                    .checked_add(d.whole_nanoseconds())
                    .ok_or_else(|| JwtError::creation("fresh duration out of range"))?;
                float_secs(until)?
            }
            (Some(Fresh::Until(t)), false) => float_secs(t.unix_timestamp_nanos())?,
            (Some(Fresh::UntilSecs(t)), false) => serde_json::Number::from_f64(t)
                .map(Value::Number)
                .ok_or_else(|| JwtError::creation("fresh timestamp out of range"))?,
        })
    }

    /// The `exp` claim (whole seconds): the configured lifetime of the token type unless
    /// overridden; none only when non-expiring tokens are accepted.
    fn exp_claim(
        &self,
        expires: Expires,
        is_refresh: bool,
        now_nanos: i128,
    ) -> Result<Option<u64>, JwtError> {
        let default_expiry = if is_refresh {
            self.refresh_expires
        } else {
            self.access_expires
        };
        let expiry = match expires {
            Expires::Default => default_expiry,
            Expires::Never => None,
            Expires::In(d) => Some(d),
        };
        match expiry {
            Some(d) => {
                let nanos = now_nanos
                    .checked_add(d.whole_nanoseconds())
                    .ok_or_else(|| JwtError::creation("token expiry out of range"))?;
                let secs = nanos.div_euclid(1_000_000_000);
                if !(0..=i128::from(i64::MAX)).contains(&secs) {
                    return Err(JwtError::creation("token expiry out of range"));
                }
                Ok(Some(secs as u64))
            }
            None if self.require_exp => Err(JwtError::creation(
                "non-expiring tokens are disabled (see accept_non_expiring_tokens)",
            )),
            None => Ok(None),
        }
    }

    /// The JOSE header: `alg`, `typ`, the signing key's `kid`, then the loader's and the
    /// builder's parameters (`alg` and `crit` refused, `kid` refused when the key has one,
    /// `kid`/`typ`/`cty` only as strings).
    fn header(
        &self,
        signer: &SignKey,
        identity: &Value,
        headers: Map<String, Value>,
        loaders: Loaders,
    ) -> Result<BTreeMap<String, Value>, JwtError> {
        let mut header: BTreeMap<String, Value> = BTreeMap::new();
        let alg = alg_name(signer.algorithm)
            .ok_or_else(|| JwtError::creation("unsupported signing algorithm"))?;
        header.insert("alg".into(), Value::String(alg.into()));
        header.insert("typ".into(), Value::String("JWT".into()));
        if let Some(kid) = &signer.kid {
            header.insert("kid".into(), Value::String(kid.clone()));
        }
        let mut extra_headers = match &self.additional_headers {
            Some(loader) if loaders == Loaders::Run => loader.load(identity)?,
            _ => Map::new(),
        };
        extra_headers.extend(headers);
        for (name, value) in extra_headers {
            let refused = matches!(name.as_str(), "alg" | "crit")
                || (name == "kid" && signer.kid.is_some())
                || (matches!(name.as_str(), "kid" | "typ" | "cty") && !value.is_string());
            if refused {
                return Err(JwtError::creation(format!(
                    "the header parameter {name:?} cannot be set to this value"
                )));
            }
            header.insert(name, value);
        }
        Ok(header)
    }
}

/// The name of a JSON value's type, for error messages (never the value itself).
fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Everything a token is made of besides what the issuer adds.
struct Draft {
    identity: Value,
    token_type: TokenType,
    fresh: Option<Fresh>,
    expires: Expires,
    claims: Map<String, Value>,
    /// Claims set by the crate itself (`pair`, `family`), exempt from the owned-claim check.
    internal: Map<String, Value>,
    headers: Map<String, Value>,
}

impl Draft {
    fn new(identity: Value, token_type: TokenType) -> Self {
        Self {
            identity,
            token_type,
            fresh: None,
            expires: Expires::Default,
            claims: Map::new(),
            internal: Map::new(),
            headers: Map::new(),
        }
    }
}

/// Serializes an application claim into `claims`, or keeps the first error: the one way both
/// builders take a claim.
fn add_claim(
    claims: &mut Map<String, Value>,
    error: &mut Option<JwtError>,
    name: String,
    value: impl Serialize,
) {
    match serde_json::to_value(value) {
        Ok(v) => {
            claims.insert(name, v);
        }
        Err(e) => {
            error.get_or_insert(
                JwtError::creation("a claim could not be serialized").with_source(e),
            );
        }
    }
}

/// Options for one token: freshness, expiry, extra claims and headers.
///
/// Made by [`JwtManager::access_token`](crate::JwtManager::access_token) and
/// [`JwtManager::refresh_token`](crate::JwtManager::refresh_token).
///
/// ```
/// use jwt_extended::JwtManager;
/// use time::Duration;
///
/// let manager = JwtManager::builder().secret("an-example-secret-of-at-least-32-bytes!").build()?;
/// let token = manager
///     .access_token("alice")
///     .fresh_for(Duration::minutes(5))
///     .expires_in(Duration::hours(1))
///     .claim("is_admin", true)
///     .header("x-app", "example")
///     .create()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "a TokenBuilder does nothing until `create()` is called"]
pub struct TokenBuilder<'m> {
    issuer: &'m Issuer,
    draft: Draft,
    error: Option<JwtError>,
}

impl fmt::Debug for TokenBuilder<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenBuilder")
            .field("token_type", &self.draft.token_type)
            .field("fresh", &self.draft.fresh)
            .field("expires", &self.draft.expires)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy)]
enum Fresh {
    Bool(bool),
    For(Duration),
    Until(OffsetDateTime),
    UntilSecs(f64),
}

#[derive(Debug, Clone, Copy)]
enum Expires {
    Default,
    Never,
    In(Duration),
}

impl TokenBuilder<'_> {
    pub(crate) fn internal_claim(mut self, name: &str, value: Value) -> Self {
        self.draft.internal.insert(name.to_owned(), value);
        self
    }

    /// Keeps the freshness of a token being re-issued.
    pub(crate) fn fresh_value(mut self, fresh: Freshness) -> Self {
        self.draft.fresh = match fresh {
            Freshness::Bool(b) => Some(Fresh::Bool(b)),
            Freshness::Until(t) => Some(Fresh::UntilSecs(t)),
            _ => Some(Fresh::Bool(false)),
        };
        self
    }

    /// Marks an access token fresh (`"fresh": true`) or not (the default).
    pub fn fresh(mut self, fresh: bool) -> Self {
        self.draft.fresh = Some(Fresh::Bool(fresh));
        self
    }

    /// Makes an access token fresh for `duration` from now: the `fresh` claim is the float
    /// timestamp `now + duration`, as Flask-JWT-Extended writes it for a `timedelta`.
    pub fn fresh_for(mut self, duration: impl IntoDuration) -> Self {
        self.draft.fresh = Some(Fresh::For(duration.into_time_duration()));
        self
    }

    /// Makes an access token fresh until `until`.
    pub fn fresh_until(mut self, until: OffsetDateTime) -> Self {
        self.draft.fresh = Some(Fresh::Until(until));
        self
    }

    /// Overrides the configured expiry for this token (a negative duration makes an
    /// already expired token, which tests find useful).
    pub fn expires_in(mut self, duration: impl IntoDuration) -> Self {
        self.draft.expires = Expires::In(duration.into_time_duration());
        self
    }

    /// Creates a token without `exp`. Only allowed when the manager accepts non-expiring
    /// tokens ([`JwtManagerBuilder::accept_non_expiring_tokens`](crate::JwtManagerBuilder::accept_non_expiring_tokens)).
    pub fn never_expires(mut self) -> Self {
        self.draft.expires = Expires::Never;
        self
    }

    /// Adds a claim. Reserved claims (`type`, `fresh`, `exp`, `iat`, `nbf`, `jti`, `csrf`,
    /// `pair`, `family`, the identity claim, and `aud`/`iss` when configured) cannot be set
    /// this way:
    /// [`create`](Self::create) then fails.
    pub fn claim(mut self, name: impl Into<String>, value: impl Serialize) -> Self {
        add_claim(&mut self.draft.claims, &mut self.error, name.into(), value);
        self
    }

    /// Adds every member of `claims` (a struct or map serializing to a JSON object).
    pub fn claims(mut self, claims: impl Serialize) -> Self {
        match serde_json::to_value(claims) {
            Ok(Value::Object(map)) => self.draft.claims.extend(map),
            Ok(_) => self.fail(JwtError::creation(
                "additional claims must serialize to a JSON object",
            )),
            Err(e) => {
                self.fail(JwtError::creation("claims could not be serialized").with_source(e))
            }
        }
        self
    }

    /// Adds a JOSE header parameter (`alg` and `crit` are refused; `kid` is refused when the
    /// signing key has one).
    pub fn header(mut self, name: impl Into<String>, value: impl Serialize) -> Self {
        match serde_json::to_value(value) {
            Ok(v) => {
                self.draft.headers.insert(name.into(), v);
            }
            Err(e) => {
                self.fail(JwtError::creation("a header could not be serialized").with_source(e))
            }
        }
        self
    }

    fn fail(&mut self, e: JwtError) {
        self.error.get_or_insert(e);
    }

    /// Signs the token.
    pub fn create(self) -> Result<String, JwtError> {
        let issuer = self.issuer;
        let result = match self.error {
            Some(e) => Err(e),
            None => issuer.sign(self.draft, Loaders::Run),
        };
        result.map_err(|e| issuer.answered(e))
    }
}

/// An access token and a refresh token issued together (sharing a `pair` id, and a rotation
/// `family` when refresh rotation is on). Serializes as the JSON a login route answers with,
/// `{"access_token": "...", "refresh_token": "..."}` (`Json(pair)` in axum).
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct TokenPair {
    /// The access token.
    pub access_token: String,
    /// The refresh token.
    pub refresh_token: String,
}

impl fmt::Debug for TokenPair {
    // Tokens are credentials: never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenPair").finish_non_exhaustive()
    }
}

/// Builds a [`TokenPair`] (see [`JwtManager::token_pair`](crate::JwtManager::token_pair)).
#[must_use = "a TokenPairBuilder does nothing until `create()` is called"]
pub struct TokenPairBuilder<'m> {
    issuer: &'m Issuer,
    identity: Value,
    fresh: bool,
    claims: Map<String, Value>,
    family: Option<String>,
    error: Option<JwtError>,
}

impl fmt::Debug for TokenPairBuilder<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenPairBuilder")
            .field("fresh", &self.fresh)
            .finish_non_exhaustive()
    }
}

impl TokenPairBuilder<'_> {
    /// Marks the access token fresh (for a login; refreshes give non-fresh tokens).
    pub fn fresh(mut self, fresh: bool) -> Self {
        self.fresh = fresh;
        self
    }

    /// Adds a claim to both tokens.
    pub fn claim(mut self, name: impl Into<String>, value: impl Serialize) -> Self {
        add_claim(&mut self.claims, &mut self.error, name.into(), value);
        self
    }

    /// Continues the rotation family `family` (a rotated refresh token's).
    pub(crate) fn in_family(mut self, family: String) -> Self {
        self.family = Some(family);
        self
    }

    /// Signs both tokens.
    pub fn create(self) -> Result<TokenPair, JwtError> {
        if let Some(e) = self.error {
            return Err(self.issuer.answered(e));
        }
        let issuer = self.issuer;
        let pair = Value::String(uuid::Uuid::new_v4().to_string());
        let family = issuer.rotation.then(|| {
            Value::String(
                self.family
                    .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            )
        });
        let mut access = issuer
            .token(self.identity.clone(), TokenType::Access)
            .fresh(self.fresh)
            .internal_claim("pair", pair.clone());
        let mut refresh = issuer
            .token(self.identity, TokenType::Refresh)
            .internal_claim("pair", pair);
        if let Some(f) = family {
            access = access.internal_claim("family", f.clone());
            refresh = refresh.internal_claim("family", f);
        }
        access.draft.claims.clone_from(&self.claims);
        refresh.draft.claims = self.claims;
        Ok(TokenPair {
            access_token: access.create()?,
            refresh_token: refresh.create()?,
        })
    }
}

fn float_secs(nanos: i128) -> Result<Value, JwtError> {
    // Microsecond precision, as Python's datetime.timestamp() has.
    let micros = nanos.div_euclid(1_000);
    let secs = micros as f64 / 1e6;
    serde_json::Number::from_f64(secs)
        .map(Value::Number)
        .ok_or_else(|| JwtError::creation("fresh timestamp out of range"))
}

pub(crate) fn alg_name(alg: jsonwebtoken::Algorithm) -> Option<&'static str> {
    use jsonwebtoken::Algorithm::*;
    Some(match alg {
        HS256 => "HS256",
        HS384 => "HS384",
        HS512 => "HS512",
        ES256 => "ES256",
        ES384 => "ES384",
        RS256 => "RS256",
        RS384 => "RS384",
        RS512 => "RS512",
        PS256 => "PS256",
        PS384 => "PS384",
        PS512 => "PS512",
        EdDSA => "EdDSA",
        _ => return None,
    })
}

/// The audience written into tokens: one string or a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub(crate) enum Audience {
    One(String),
    Many(Vec<String>),
}

/// Claims in Flask-JWT-Extended's order: `fresh`, `iat`, `jti`, `type`, identity, `nbf`,
/// `csrf`, `aud`, `iss`, `exp`, then the extras.
struct OrderedClaims<'a> {
    fresh: &'a Value,
    iat: u64,
    jti: &'a str,
    token_type: &'a str,
    identity_claim: &'a str,
    identity: &'a Value,
    nbf: Option<u64>,
    csrf: Option<&'a str>,
    aud: Option<&'a Audience>,
    iss: Option<&'a str>,
    exp: Option<u64>,
    extras: &'a Map<String, Value>,
}

impl Serialize for OrderedClaims<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("fresh", self.fresh)?;
        m.serialize_entry("iat", &self.iat)?;
        m.serialize_entry("jti", self.jti)?;
        m.serialize_entry("type", self.token_type)?;
        m.serialize_entry(self.identity_claim, self.identity)?;
        if let Some(nbf) = self.nbf {
            m.serialize_entry("nbf", &nbf)?;
        }
        if let Some(csrf) = self.csrf {
            m.serialize_entry("csrf", csrf)?;
        }
        if let Some(aud) = self.aud {
            m.serialize_entry("aud", aud)?;
        }
        if let Some(iss) = self.iss {
            m.serialize_entry("iss", iss)?;
        }
        if let Some(exp) = self.exp {
            m.serialize_entry("exp", &exp)?;
        }
        for (k, v) in self.extras {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}
