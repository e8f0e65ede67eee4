//! Token creation: [`TokenBuilder`] with Flask-JWT-Extended's per-token options, and the
//! [`Identity`] conversion from the application's user to the identity claim.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::{Map, Value};
use time::{Duration, OffsetDateTime};

use crate::claims::TokenType;
use crate::error::JwtError;
use crate::manager::JwtManager;

/// Turns the application's user (or id) into the identity claim (`sub`): Flask-JWT-Extended's
/// `user_identity_loader`.
///
/// Implemented for strings, integers, UUIDs and JSON values; implement it for your user
/// type to pass the user itself to [`JwtManager::create_access_token`].
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

impl Identity for uuid::Uuid {
    fn identity(&self) -> Value {
        Value::String(self.to_string())
    }
}

macro_rules! int_identity {
    ($($t:ty),*) => {$(
        impl Identity for $t {
            fn identity(&self) -> Value {
                Value::from(*self)
            }
        }
    )*};
}
int_identity!(i32, i64, u32, u64);

/// Options for one token: freshness, expiry, extra claims and headers.
///
/// Made by [`JwtManager::access_token`] and [`JwtManager::refresh_token`].
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
    manager: &'m JwtManager,
    identity: Value,
    token_type: TokenType,
    fresh: Option<Fresh>,
    expires: Expires,
    claims: Map<String, Value>,
    /// Claims set by the crate itself (`pair`, `family`), exempt from the reserved check.
    internal: Map<String, Value>,
    headers: Map<String, Value>,
    error: Option<JwtError>,
    /// The manager's additional claims and headers loaders are not called (build-time probe).
    skip_loaders: bool,
    /// Build-time probe: an expiry is written whatever the configuration.
    probe: bool,
}

/// Claims the crate sets itself and applications may not set.
pub(crate) const RESERVED: &[&str] = &[
    "type", "fresh", "exp", "iat", "nbf", "jti", "csrf", "pair", "family",
];

impl fmt::Debug for TokenBuilder<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenBuilder")
            .field("token_type", &self.token_type)
            .field("fresh", &self.fresh)
            .field("expires", &self.expires)
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

impl<'m> TokenBuilder<'m> {
    pub(crate) fn new(manager: &'m JwtManager, identity: Value, token_type: TokenType) -> Self {
        Self {
            manager,
            identity,
            token_type,
            fresh: None,
            expires: Expires::Default,
            claims: Map::new(),
            internal: Map::new(),
            headers: Map::new(),
            error: None,
            skip_loaders: false,
            probe: false,
        }
    }

    pub(crate) fn without_loaders(mut self) -> Self {
        self.skip_loaders = true;
        self
    }

    pub(crate) fn with_probe_expiry(mut self) -> Self {
        self.probe = true;
        self
    }

    pub(crate) fn internal_claim(mut self, name: &str, value: Value) -> Self {
        self.internal.insert(name.to_owned(), value);
        self
    }

    pub(crate) fn fresh_value(mut self, fresh: crate::Freshness) -> Self {
        self.fresh = match fresh {
            crate::Freshness::Bool(b) => Some(Fresh::Bool(b)),
            crate::Freshness::Until(t) => Some(Fresh::UntilSecs(t)),
            _ => Some(Fresh::Bool(false)),
        };
        self
    }

    /// Marks an access token fresh (`"fresh": true`) or not (the default).
    pub fn fresh(mut self, fresh: bool) -> Self {
        self.fresh = Some(Fresh::Bool(fresh));
        self
    }

    /// Makes an access token fresh for `duration` from now: the `fresh` claim is the float
    /// timestamp `now + duration`, as Flask-JWT-Extended writes it for a `timedelta`.
    pub fn fresh_for(mut self, duration: Duration) -> Self {
        self.fresh = Some(Fresh::For(duration));
        self
    }

    /// Makes an access token fresh until `until`.
    pub fn fresh_until(mut self, until: OffsetDateTime) -> Self {
        self.fresh = Some(Fresh::Until(until));
        self
    }

    /// Overrides the configured expiry for this token (a negative duration makes an
    /// already expired token, which tests find useful).
    pub fn expires_in(mut self, duration: Duration) -> Self {
        self.expires = Expires::In(duration);
        self
    }

    /// Creates a token without `exp`. Only allowed when the manager accepts non-expiring
    /// tokens ([`JwtManagerBuilder::accept_non_expiring_tokens`](crate::JwtManagerBuilder::accept_non_expiring_tokens)).
    pub fn never_expires(mut self) -> Self {
        self.expires = Expires::Never;
        self
    }

    /// Adds a claim. Reserved claims (`type`, `fresh`, `exp`, `iat`, `nbf`, `jti`, `csrf`,
    /// `pair`, `family`, the identity claim, and `aud`/`iss` when configured) cannot be set
    /// this way:
    /// [`create`](Self::create) then fails.
    pub fn claim(mut self, name: impl Into<String>, value: impl Serialize) -> Self {
        match serde_json::to_value(value) {
            Ok(v) => {
                self.claims.insert(name.into(), v);
            }
            Err(e) => {
                self.fail(JwtError::creation("a claim could not be serialized").with_source(e))
            }
        }
        self
    }

    /// Adds every member of `claims` (a struct or map serializing to a JSON object).
    pub fn claims(mut self, claims: impl Serialize) -> Self {
        match serde_json::to_value(claims) {
            Ok(Value::Object(map)) => self.claims.extend(map),
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
                self.headers.insert(name.into(), v);
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
        if let Some(e) = self.error {
            return Err(e);
        }
        let inner = self.manager.inner();
        let cfg = &inner.create;
        let now = inner.clock.now();
        let now_nanos = i128::try_from(now.as_nanos()).unwrap_or(i128::MAX);
        let iat = now.as_secs();
        let is_refresh = self.token_type == TokenType::Refresh;

        let fresh = match (self.fresh, is_refresh) {
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
        };

        let default_expiry = if is_refresh {
            cfg.refresh_expires
        } else {
            cfg.access_expires
        };
        let expiry = match self.expires {
            Expires::Default => default_expiry,
            Expires::Never => None,
            Expires::In(d) => Some(d),
        };
        let expiry = if self.probe {
            Some(expiry.unwrap_or(Duration::days(1)))
        } else {
            expiry
        };
        let exp = match expiry {
            Some(d) => {
                let nanos = now_nanos
                    .checked_add(d.whole_nanoseconds())
                    .ok_or_else(|| JwtError::creation("token expiry out of range"))?;
                let secs = nanos.div_euclid(1_000_000_000);
                if !(0..=i128::from(i64::MAX)).contains(&secs) {
                    return Err(JwtError::creation("token expiry out of range"));
                }
                Some(secs as u64)
            }
            None if cfg.require_exp => {
                return Err(JwtError::creation(
                    "non-expiring tokens are disabled (see accept_non_expiring_tokens)",
                ));
            }
            None => None,
        };

        let mut extras = match &inner.additional_claims {
            Some(loader) if !self.skip_loaders => loader.additional_claims(&self.identity),
            _ => Map::new(),
        };
        extras.extend(self.claims);
        for name in extras.keys() {
            let reserved = RESERVED.contains(&name.as_str())
                || *name == *cfg.identity_claim
                || (name == "aud" && cfg.encode_audience.is_some())
                || (name == "iss" && cfg.encode_issuer.is_some());
            if reserved {
                return Err(JwtError::creation(format!(
                    "additional claims may not override the reserved claim {name:?}"
                )));
            }
        }

        extras.extend(self.internal);

        let jti = uuid::Uuid::new_v4().to_string();
        let csrf = cfg.csrf_protect.then(|| uuid::Uuid::new_v4().to_string());
        let claims = OrderedClaims {
            fresh: &fresh,
            iat,
            jti: &jti,
            token_type: self.token_type.as_str(),
            identity_claim: &cfg.identity_claim,
            identity: &self.identity,
            nbf: cfg.encode_nbf.then_some(iat),
            csrf: csrf.as_deref(),
            aud: cfg.encode_audience.as_ref(),
            iss: cfg.encode_issuer.as_deref(),
            exp,
            extras: &extras,
        };

        let Some(signer) = &inner.keys.signing else {
            return Err(JwtError::creation("no signing key is configured"));
        };
        let mut header: BTreeMap<String, Value> = BTreeMap::new();
        let alg = alg_name(signer.algorithm)
            .ok_or_else(|| JwtError::creation("unsupported signing algorithm"))?;
        header.insert("alg".into(), Value::String(alg.into()));
        header.insert("typ".into(), Value::String("JWT".into()));
        if let Some(kid) = &signer.kid {
            header.insert("kid".into(), Value::String(kid.clone()));
        }
        let mut extra_headers = match &inner.additional_headers {
            Some(loader) if !self.skip_loaders => loader.additional_headers(&self.identity),
            _ => Map::new(),
        };
        extra_headers.extend(self.headers);
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

        let header_json = serde_json::to_vec(&header)
            .map_err(|e| JwtError::creation("header serialization failed").with_source(e))?;
        let claims_json = serde_json::to_vec(&claims)
            .map_err(|e| JwtError::creation("claims serialization failed").with_source(e))?;
        let mut token =
            String::with_capacity((header_json.len() + claims_json.len()) * 4 / 3 + 100);
        URL_SAFE_NO_PAD.encode_string(&header_json, &mut token);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&claims_json, &mut token);
        let signature = (inner.keys.provider.signer_factory)(&signer.algorithm, &signer.encoding)
            .and_then(|s| {
                jsonwebtoken::signature::Signer::try_sign(&*s, token.as_bytes())
                    .map_err(jsonwebtoken::errors::Error::from)
            })
            .map_err(|e| JwtError::creation("signing failed").with_source(e))?;
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&signature, &mut token);
        Ok(token)
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
