//! Decoded tokens: the verified header and claims, with typed access to the claims
//! Flask-JWT-Extended defines (`type`, `fresh`, `jti`, `csrf`, `exp`, `iat`, `nbf`).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

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
    /// The verified payload and the string claims read on every request, in one
    /// allocation.
    pub(crate) texts: Texts,
    /// The claims, parsed from the payload: filled by verification, and on first use in a
    /// copy kept by the verified-token cache (see [`DecodedToken::lean`]).
    pub(crate) claims: OnceLock<Map<String, Value>>,
    /// The revocation ids (`jti`, `pair`, `family`) as canonical uuids, for the in-memory
    /// store's keys: parsed on this token's first check, and kept, since a cached token is
    /// checked again on every request.
    pub(crate) uuids: OnceLock<[Option<[u8; 16]>; 3]>,
    /// The in-memory store's revision at which this token was last found unrevoked (see
    /// [`CleanAt`]).
    pub(crate) clean_at: CleanAt,
    /// [`claim_bit`] of every claim name: most lookups of an absent claim stop here.
    pub(crate) names: u64,
    /// The identity claim's value (`Null` when absent, which verification refuses).
    pub(crate) identity: Value,
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

/// The revision of the in-memory revocation store at which a token was last checked and
/// found unrevoked, or zero (never). The store's revision changes with every write that can
/// revoke a token and never takes a value twice, so while it reads the same the token is
/// still unrevoked there: the check answers without looking the token's ids up again.
/// Only the manager that verified a token checks it, against its one store.
#[derive(Debug, Default)]
pub(crate) struct CleanAt(AtomicU64);

// Read only by the in-memory store's check.
#[cfg_attr(not(feature = "memory-store"), allow(dead_code))]
impl CleanAt {
    /// Whether the token was found unrevoked at `revision` (never zero).
    pub(crate) fn is(&self, revision: u64) -> bool {
        self.0.load(Ordering::Relaxed) == revision
    }

    /// Records that the token was found unrevoked by a check that read `revision` before it
    /// looked.
    pub(crate) fn set(&self, revision: u64) {
        self.0.store(revision, Ordering::Relaxed);
    }
}

impl Clone for CleanAt {
    fn clone(&self) -> Self {
        Self(AtomicU64::new(self.0.load(Ordering::Relaxed)))
    }
}

/// A string claim that the request path reads on every request (revocation, CSRF, the
/// issuer's keys), kept as text next to the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hot {
    Jti = 0,
    Csrf = 1,
    Pair = 2,
    Family = 3,
    Iss = 4,
}

impl Hot {
    pub(crate) const COUNT: usize = 5;
}

/// The verified payload (JSON text), then the value of each [`Hot`] claim that is a string,
/// then, in the verified-token cache's copy, the token's own text: one buffer, so that a
/// cached token is cheap to drop, however many claims it has.
#[derive(Clone, Default)]
pub(crate) struct Texts {
    /// A `String`, not a `Box<str>`: the verified-token cache refills a pushed-out entry's
    /// buffer in place ([`DecodedToken::lean_into`]).
    buf: String,
    /// Where the payload ends, then where each hot claim's text ends (the token's text, if
    /// any, runs from there to the end).
    ends: [usize; Hot::COUNT + 1],
    /// Bit `i`: the hot claim `i` is present and a string.
    present: u8,
}

impl Texts {
    /// The payload text and the hot claims' values, in [`Hot`]'s order.
    pub(crate) fn new(payload: &str, hot: [Option<&str>; Hot::COUNT]) -> Self {
        let len = payload.len() + hot.iter().flatten().map(|s| s.len()).sum::<usize>();
        let mut buf = String::with_capacity(len);
        buf.push_str(payload);
        let mut ends = [0; Hot::COUNT + 1];
        ends[0] = buf.len();
        let mut present = 0;
        for (i, text) in hot.into_iter().enumerate() {
            if let Some(text) = text {
                buf.push_str(text);
                present |= 1 << i;
            }
            ends[i + 1] = buf.len();
        }
        Self { buf, ends, present }
    }

    /// The payload (JSON).
    pub(crate) fn payload(&self) -> &str {
        self.buf.get(..self.ends[0]).unwrap_or_default()
    }

    /// The same texts followed by `token` (see [`DecodedToken::lean`]).
    fn with_token(&self, token: &str) -> Self {
        let mut copy = Self {
            buf: String::new(),
            ends: self.ends,
            present: self.present,
        };
        self.with_token_into(token, &mut copy);
        copy
    }

    /// [`with_token`](Self::with_token) into `target`, whose buffer is reused when it is
    /// large enough.
    fn with_token_into(&self, token: &str, target: &mut Self) {
        let kept = self.buf.get(..self.ends[Hot::COUNT]).unwrap_or_default();
        target.buf.clear();
        target.buf.reserve_exact(kept.len() + token.len());
        target.buf.push_str(kept);
        target.buf.push_str(token);
        target.ends = self.ends;
        target.present = self.present;
    }

    /// The token's text kept by [`with_token`](Self::with_token) (empty otherwise).
    pub(crate) fn token(&self) -> &str {
        self.buf.get(self.ends[Hot::COUNT]..).unwrap_or_default()
    }

    /// A hot claim, when it is a string.
    pub(crate) fn get(&self, claim: Hot) -> Option<&str> {
        let i = claim as usize;
        if self.present & (1 << i) == 0 {
            return None;
        }
        self.buf.get(self.ends[i]..self.ends[i + 1])
    }
}

impl fmt::Debug for DecodedToken {
    // Claims may hold personal data: print only their names.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecodedToken")
            .field("algorithm", &self.algorithm)
            .field("token_type", &self.token_type)
            .field("exp", &self.exp)
            .field("claims", &self.claims().keys().collect::<Vec<_>>())
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
        let claims = self.claims();
        if claims.len() > 16 {
            return claims.get(name);
        }
        claims
            .iter()
            .find(|(k, _)| k.len() == name.len() && **k == *name)
            .map(|(_, v)| v)
    }

    /// The same verified token without its parsed claims (they are parsed again from the
    /// payload when asked for) and with `token`, its text, in the same buffer
    /// ([`Texts::token`]): what the verified-token cache keeps, a few allocations however
    /// many claims the token has, so that dropping an old entry is cheap.
    pub(crate) fn lean(&self, token: &str) -> Self {
        Self {
            header: self.header.clone(),
            texts: self.texts.with_token(token),
            claims: OnceLock::new(),
            uuids: self.uuids.clone(),
            clean_at: self.clean_at.clone(),
            names: self.names,
            identity: self.identity.clone(),
            identity_claim: self.identity_claim.clone(),
            algorithm: self.algorithm,
            token_type: self.token_type.clone(),
            fresh: self.fresh,
            exp: self.exp,
            iat: self.iat,
            nbf: self.nbf,
            external: self.external,
        }
    }

    /// Makes `target` what [`lean`](Self::lean) would return, reusing its allocations
    /// (the buffer, the identity's string) where they are large enough: the verified-token
    /// cache refills the entry a new one pushes out, when no request holds it.
    pub(crate) fn lean_into(&self, token: &str, target: &mut Self) {
        let Self {
            header,
            texts,
            claims,
            uuids,
            clean_at,
            names,
            identity,
            identity_claim,
            algorithm,
            token_type,
            fresh,
            exp,
            iat,
            nbf,
            external,
        } = target;
        header.clone_from(&self.header);
        self.texts.with_token_into(token, texts);
        *claims = OnceLock::new();
        *uuids = self.uuids.clone();
        *clean_at = self.clean_at.clone();
        *names = self.names;
        match (identity, &self.identity) {
            (Value::String(mine), Value::String(theirs)) => {
                mine.clear();
                mine.push_str(theirs);
            }
            (mine, theirs) => *mine = theirs.clone(),
        }
        identity_claim.clone_from(&self.identity_claim);
        *algorithm = self.algorithm;
        token_type.clone_from(&self.token_type);
        *fresh = self.fresh;
        *exp = self.exp;
        *iat = self.iat;
        *nbf = self.nbf;
        *external = self.external;
    }

    /// A string claim the request path reads (`jti`, `csrf`, `pair`, `family`, `iss`).
    pub(crate) fn hot(&self, claim: Hot) -> Option<&str> {
        self.texts.get(claim)
    }

    /// The JOSE header (`alg`, `typ`, `kid`, and any extra headers).
    pub fn header(&self) -> &Map<String, Value> {
        &self.header
    }

    /// All claims of the payload.
    pub fn claims(&self) -> &Map<String, Value> {
        // The payload was parsed when the token was verified, by serde_json with a check
        // for duplicate members that it passed: serde_json alone gives the same map.
        self.claims
            .get_or_init(|| serde_json::from_str(self.texts.payload()).unwrap_or_default())
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
        T::deserialize(self.claims())
    }

    /// The identity claim (`sub` unless configured otherwise): Flask-JWT-Extended's
    /// `get_jwt_identity()`. It is always present in a verified token; it is a string unless
    /// `verify_sub` was turned off. It prints as Flask prints it (`1`, not `"1"`); the JSON
    /// value is [`as_value`](IdentityRef::as_value).
    pub fn identity(&self) -> IdentityRef<'_> {
        IdentityRef(&self.identity)
    }

    /// The identity claim when it is a string.
    pub fn subject(&self) -> Option<&str> {
        self.identity.as_str()
    }

    /// The `jti` claim (the token's unique id), when present.
    pub fn jti(&self) -> Option<&str> {
        self.hot(Hot::Jti)
    }

    /// The `csrf` claim, when present.
    pub fn csrf(&self) -> Option<&str> {
        self.hot(Hot::Csrf)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_keep_each_hot_claim_apart() {
        let texts = Texts::new(
            r#"{"a":1}"#,
            [Some(""), None, Some("p"), None, Some("https://issuer")],
        );
        assert_eq!(texts.payload(), r#"{"a":1}"#);
        assert_eq!(texts.get(Hot::Jti), Some(""));
        assert_eq!(texts.get(Hot::Csrf), None);
        assert_eq!(texts.get(Hot::Pair), Some("p"));
        assert_eq!(texts.get(Hot::Family), None);
        assert_eq!(texts.get(Hot::Iss), Some("https://issuer"));
        assert_eq!(texts.token(), "");
        let cached = texts.with_token("a.b.c");
        assert_eq!(cached.token(), "a.b.c");
        assert_eq!(cached.payload(), texts.payload());
        assert_eq!(cached.get(Hot::Pair), Some("p"));
        assert_eq!(cached.get(Hot::Iss), Some("https://issuer"));
        let empty = Texts::default();
        assert_eq!(empty.payload(), "");
        assert_eq!(empty.get(Hot::Jti), None);
    }

    #[test]
    #[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
    fn a_lean_copy_answers_as_the_token_does() {
        use serde_json::json;
        let manager = crate::JwtManager::builder()
            .secret("an-example-secret-of-at-least-32-bytes!")
            .build()
            .unwrap();
        let pair = manager.token_pair("al\"ice").create().unwrap();
        let token = manager
            .access_token("al\"ice")
            .claim("roles", ["admin", "ops"])
            .claim("note", "é \\ \u{1F600}")
            .fresh(true)
            .create()
            .unwrap();
        for token in [token.as_str(), pair.access_token.as_str()] {
            let full = manager.decode_token(token).unwrap();
            let lean = full.lean(token);
            assert_eq!(lean.texts.token(), token);
            assert_eq!(full.texts.token(), "");
            assert_eq!(lean.texts.payload(), full.texts.payload());
            assert!(full.claims.get().is_some());
            assert!(
                lean.claims.get().is_none(),
                "kept without its parsed claims"
            );
            assert_eq!(lean.claims(), full.claims(), "parsed again, the same");
            assert_eq!(lean.identity(), full.identity());
            assert_eq!(lean.identity(), json!("al\"ice"));
            assert_eq!(lean.subject(), Some("al\"ice"));
            assert_eq!(lean.jti(), full.jti());
            assert_eq!(lean.jti(), full.claims()["jti"].as_str());
            assert_eq!(
                lean.csrf(),
                full.claims().get("csrf").and_then(Value::as_str)
            );
            for claim in [Hot::Pair, Hot::Family, Hot::Iss] {
                assert_eq!(lean.hot(claim), full.hot(claim));
            }
            assert_eq!(lean.claim("roles"), full.claim("roles"));
            assert_eq!(lean.claim("absent"), None);
            assert_eq!(lean.token_type(), full.token_type());
            assert_eq!(lean.fresh(), full.fresh());
            assert_eq!(lean.expires_at(), full.expires_at());
        }
        let from_pair = manager.decode_token(&pair.access_token).unwrap();
        assert!(from_pair.hot(Hot::Pair).is_some());
        assert_eq!(
            from_pair.hot(Hot::Pair),
            from_pair.claims().get("pair").and_then(Value::as_str)
        );
    }
}
