//! Token verification: one pass over the token, one header parse, one signature check,
//! one claims parse, then Flask-JWT-Extended's (PyJWT's) claim checks with jsonwebtoken's
//! gaps closed.

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, OnceLock, RwLock};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use jsonwebtoken::crypto::CryptoProvider;
use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use serde_json::{Map, Value};

use crate::claims::{DecodedToken, Freshness, Hot, Texts, TokenType, claim_bit};
use crate::error::{ErrorKind, JwtError};
use crate::keys::{KeySet, VerifyKey};

/// How audiences and issuers are checked, and the other decode options.
#[derive(Debug, Clone)]
pub(crate) struct DecodeConfig {
    pub(crate) identity_claim: Arc<str>,
    pub(crate) decode_audience: Option<Vec<String>>,
    pub(crate) decode_issuer: Option<String>,
    pub(crate) leeway: u64,
    pub(crate) verify_sub: bool,
    pub(crate) require_exp: bool,
    pub(crate) max_token_len: usize,
    pub(crate) max_header_len: usize,
    /// The settings of an external issuer's tokens (see `DecodedToken::external`).
    pub(crate) external: bool,
}

/// The current time for one verification.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Now {
    /// Whole seconds since the epoch (floor).
    pub(crate) secs: u64,
}

/// The pieces of a compact JWS, checked for shape and size. Borrowed from the input.
pub(crate) struct Parts<'a> {
    pub(crate) header: &'a str,
    pub(crate) payload: &'a str,
    pub(crate) signature: &'a str,
    pub(crate) signing_input: &'a str,
}

pub(crate) fn split<'a>(token: &'a str, cfg: &DecodeConfig) -> Result<Parts<'a>, JwtError> {
    if token.len() > cfg.max_token_len {
        return Err(JwtError::invalid("Token is too large"));
    }
    let Some((signing_input, signature)) = token.rsplit_once('.') else {
        return Err(JwtError::invalid("Not enough segments"));
    };
    let Some((header, payload)) = signing_input.split_once('.') else {
        return Err(JwtError::invalid("Not enough segments"));
    };
    if payload.contains('.') {
        return Err(JwtError::invalid("Too many segments"));
    }
    if header.len() > cfg.max_header_len {
        return Err(JwtError::invalid("Token header is too large"));
    }
    Ok(Parts {
        header,
        payload,
        signature,
        signing_input,
    })
}

/// Whether an expired token is refused (the default) or returned (FJE's `allow_expired`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expiry {
    /// An expired token is refused.
    Enforce,
    /// Only the `exp` comparison is skipped; every other check applies.
    Allow,
}

/// The verifier: the decode settings, the keys, and the memo of verified headers.
pub(crate) struct Verifier {
    pub(crate) config: DecodeConfig,
    pub(crate) keys: KeySet,
    /// Parsed headers of verified tokens.
    headers: HeaderMemo,
}

/// Where the verification keys come from: the manager's own [`KeySet`], or an external
/// issuer's current key set. Everything else about verification is the same pipeline.
pub(crate) trait KeySource {
    /// The crypto backend that verifies.
    fn provider(&self) -> &CryptoProvider;
    /// Whether any key is pinned to `alg`.
    fn accepts(&self, alg: Algorithm) -> bool;
    /// The key for the token's `kid` and `alg`.
    fn select(&self, kid: Option<&str>, alg: Algorithm) -> Result<&VerifyKey, JwtError>;
}

impl KeySource for KeySet {
    fn provider(&self) -> &CryptoProvider {
        self.provider
    }
    fn accepts(&self, alg: Algorithm) -> bool {
        KeySet::accepts(self, alg)
    }
    fn select(&self, kid: Option<&str>, alg: Algorithm) -> Result<&VerifyKey, JwtError> {
        KeySet::select(self, kid, alg)
            .ok_or_else(|| JwtError::invalid("The specified alg value is not allowed"))
    }
}

impl Verifier {
    pub(crate) fn new(config: DecodeConfig, keys: KeySet) -> Self {
        Self {
            config,
            keys,
            headers: HeaderMemo::default(),
        }
    }

    /// Verifies the signature and the claims of `token` with the manager's own keys and
    /// settings.
    pub(crate) fn decode(
        &self,
        token: &str,
        now: Now,
        expiry: Expiry,
    ) -> Result<DecodedToken, JwtError> {
        self.decode_with(token, &self.keys, &self.config, now, expiry)
    }

    /// The one verification pipeline, with the keys and settings of the token's issuer:
    /// the manager's own, or an external issuer's (its key set, audience, `iss`).
    pub(crate) fn decode_with(
        &self,
        token: &str,
        keys: &dyn KeySource,
        cfg: &DecodeConfig,
        now: Now,
        expiry: Expiry,
    ) -> Result<DecodedToken, JwtError> {
        let parts = split(token, cfg)?;

        // Header: parsed once per distinct header text; the headers of tokens that passed the
        // signature check are kept (a handful), since a service sees the same few again and
        // again.
        let memo = self.headers.get(parts.header);
        let header = match &memo {
            Some(header) => header.clone(),
            None => Arc::new(parse_header(parts.header)?),
        };

        let alg = match header.get("alg") {
            None => return Err(JwtError::invalid("Algorithm not specified")),
            Some(Value::String(s)) => s.parse::<Algorithm>().ok(),
            Some(_) => None,
        };
        let Some(alg) = alg.filter(|a| keys.accepts(*a)) else {
            return Err(JwtError::invalid("The specified alg value is not allowed"));
        };
        if header.contains_key("crit") {
            // RFC 7515 §4.1.11: we understand no extension, so any `crit` is refused.
            return Err(JwtError::invalid(
                "Unsupported critical header parameter (crit)",
            ));
        }
        for name in ["kid", "typ", "cty"] {
            if header.get(name).is_some_and(|v| !v.is_string()) {
                return Err(JwtError::invalid(
                    "Invalid header string: kid, typ and cty must be strings",
                ));
            }
        }
        let kid = header.get("kid").and_then(Value::as_str);
        let key = keys.select(kid, alg)?;

        // Signature: into a stack buffer when it fits (HMAC, ECDSA, EdDSA, RSA up to 4096
        // bits).
        let mut sig_buf = [0u8; 512];
        let signature = decode_b64(parts.signature, &mut sig_buf)
            .ok_or_else(|| JwtError::invalid("Invalid crypto padding"))?;
        if !key.verify(
            keys.provider(),
            alg,
            parts.signing_input.as_bytes(),
            &signature,
        ) {
            return Err(JwtError::invalid("Signature verification failed"));
        }
        if memo.is_none() {
            self.headers.insert(parts.header, &header);
        }

        // Payload: only now, after the signature, is it parsed.
        let mut payload_buf = [0u8; 2048];
        let payload = decode_b64(parts.payload, &mut payload_buf)
            .ok_or_else(|| JwtError::invalid("Invalid payload padding"))?;
        let claims = parse_object(&payload).map_err(|e| match e {
            ParseError::NotObject => {
                JwtError::invalid("Invalid payload string: must be a json object")
            }
            ParseError::Duplicate => JwtError::invalid("Invalid payload string: duplicate claim"),
            ParseError::Syntax => JwtError::invalid("Invalid payload string: invalid JSON"),
        })?;
        // Parsed JSON is UTF-8 (strings are checked, everything else is ASCII): kept as text.
        let text = simdutf8::basic::from_utf8(&payload)
            .map_err(|_| JwtError::invalid("Invalid payload string: invalid JSON"))?;

        check_claims(header, claims, text, alg, cfg, now, expiry)
    }
}

/// The token's `iss`, read before verification only to choose whose keys verify it (the
/// pipeline then checks it like any claim). `None` when the token has no string `iss`, or
/// its payload does not parse: the manager's own keys then get the token, and their
/// verification gives the answer.
#[cfg(feature = "jwks")]
pub(crate) fn peek_issuer(token: &str, cfg: &DecodeConfig) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Iss {
        iss: Option<Value>,
    }
    let parts = split(token, cfg).ok()?;
    let mut buf = [0u8; 2048];
    let payload = decode_b64(parts.payload, &mut buf)?;
    match serde_json::from_slice::<Iss>(&payload).ok()?.iss {
        Some(Value::String(iss)) => Some(iss),
        _ => None,
    }
}

/// The token's `kid` and `alg`, to find its key before verification.
#[cfg(feature = "jwks")]
pub(crate) fn peek_key_id(
    token: &str,
    cfg: &DecodeConfig,
) -> Result<(Option<String>, Algorithm), JwtError> {
    let parts = split(token, cfg)?;
    let header = parse_header(parts.header)?;
    let alg = match header.get("alg") {
        None => return Err(JwtError::invalid("Algorithm not specified")),
        Some(Value::String(s)) => s.parse::<Algorithm>().ok(),
        Some(_) => None,
    };
    let alg = alg.ok_or_else(|| JwtError::invalid("The specified alg value is not allowed"))?;
    let kid = match header.get("kid") {
        None => None,
        Some(Value::String(kid)) => Some(kid.clone()),
        Some(_) => {
            return Err(JwtError::invalid(
                "Invalid header string: kid, typ and cty must be strings",
            ));
        }
    };
    Ok((kid, alg))
}

/// Decodes unpadded base64url into `buf` when it fits, into a new vector otherwise.
/// `None`: not base64url.
fn decode_b64<'b>(input: &str, buf: &'b mut [u8]) -> Option<Cow<'b, [u8]>> {
    if base64::decoded_len_estimate(input.len()) <= buf.len() {
        let n = URL_SAFE_NO_PAD.decode_slice(input, buf).ok()?;
        Some(Cow::Borrowed(&buf[..n]))
    } else {
        URL_SAFE_NO_PAD.decode(input).ok().map(Cow::Owned)
    }
}

/// The header segment: base64 into a stack buffer (the segment is capped), then one JSON
/// parse.
fn parse_header(segment: &str) -> Result<Map<String, Value>, JwtError> {
    let mut buf = [0u8; 1024];
    let n = URL_SAFE_NO_PAD
        .decode_slice(segment, &mut buf)
        .map_err(|_| JwtError::invalid("Invalid header padding"))?;
    parse_object(&buf[..n]).map_err(|e| match e {
        ParseError::NotObject => JwtError::invalid("Invalid header string: must be a json object"),
        ParseError::Duplicate => {
            JwtError::invalid("Invalid header string: duplicate header parameter")
        }
        ParseError::Syntax => JwtError::invalid("Invalid header string: invalid JSON"),
    })
}

/// Parsed headers by their exact text, from tokens whose signature was verified. A few are
/// kept (the first ones seen): a service meets the same few headers (one per signing key),
/// and an attacker cannot add any without a key. A header's parse depends on its text only,
/// so a kept one is exactly what parsing the text again would give; every check on it (the
/// algorithm, `crit`, `kid`) still runs on every token.
#[derive(Default)]
struct HeaderMemo {
    entries: RwLock<Vec<(Box<str>, Header)>>,
}

type Header = Arc<Map<String, Value>>;

impl HeaderMemo {
    const MAX: usize = 8;

    fn get(&self, text: &str) -> Option<Header> {
        let entries = self.entries.read().ok()?;
        entries
            .iter()
            .find(|(t, _)| **t == *text)
            .map(|(_, h)| h.clone())
    }

    fn insert(&self, text: &str, header: &Header) {
        if let Ok(mut entries) = self.entries.write()
            && entries.len() < Self::MAX
            && !entries.iter().any(|(t, _)| **t == *text)
        {
            entries.push((text.into(), header.clone()));
        }
    }
}

/// The claims the checks read, found in one pass over the claims.
#[derive(Default)]
struct Known<'a> {
    exp: Option<&'a Value>,
    iat: Option<&'a Value>,
    nbf: Option<&'a Value>,
    iss: Option<&'a Value>,
    aud: Option<&'a Value>,
    sub: Option<&'a Value>,
    jti: Option<&'a Value>,
    csrf: Option<&'a Value>,
    pair: Option<&'a Value>,
    family: Option<&'a Value>,
    typ: Option<&'a Value>,
    fresh: Option<&'a Value>,
    identity: Option<&'a Value>,
    /// [`claim_bit`] of every name.
    names: u64,
}

impl<'a> Known<'a> {
    fn gather(claims: &'a Map<String, Value>, identity_claim: &str) -> Self {
        let mut k = Self::default();
        for (name, value) in claims {
            k.names |= claim_bit(name);
            if *name == *identity_claim {
                k.identity = Some(value);
            }
            let slot = match name.as_str() {
                "exp" => &mut k.exp,
                "iat" => &mut k.iat,
                "nbf" => &mut k.nbf,
                "iss" => &mut k.iss,
                "aud" => &mut k.aud,
                "sub" => &mut k.sub,
                "jti" => &mut k.jti,
                "csrf" => &mut k.csrf,
                "pair" => &mut k.pair,
                "family" => &mut k.family,
                "type" => &mut k.typ,
                "fresh" => &mut k.fresh,
                _ => continue,
            };
            *slot = Some(value);
        }
        k
    }
}

/// PyJWT's claim checks, in PyJWT's order, then FJE's identity check.
fn check_claims(
    header: Header,
    claims: Map<String, Value>,
    payload: &str,
    algorithm: Algorithm,
    cfg: &DecodeConfig,
    now: Now,
    expiry: Expiry,
) -> Result<DecodedToken, JwtError> {
    let k = Known::gather(&claims, &cfg.identity_claim);
    if cfg.require_exp && k.exp.is_none() {
        return Err(JwtError::invalid("Token is missing the \"exp\" claim"));
    }
    // A present time claim must be a NumericDate; each is refused in its turn.
    let date = |v: Option<&Value>, round: Round, refusal: &'static str| {
        v.map(|v| numeric_date(v, round).ok_or_else(|| JwtError::invalid(refusal)))
            .transpose()
    };
    let times = check_times(
        date(
            k.iat,
            Round::Up,
            "Issued At claim (iat) must be an integer.",
        ),
        date(
            k.nbf,
            Round::Up,
            "Not Before claim (nbf) must be an integer.",
        ),
        date(
            k.exp,
            Round::Down,
            "Expiration Time claim (exp) must be an integer.",
        ),
        now.secs,
        cfg.leeway,
    )?;

    if let Some(issuer) = &cfg.decode_issuer {
        match k.iss {
            None => return Err(JwtError::invalid("Token is missing the \"iss\" claim")),
            Some(Value::String(iss)) if iss == issuer => {}
            Some(_) => return Err(JwtError::invalid("Invalid issuer")),
        }
    }
    if let Some(audiences) = &cfg.decode_audience {
        let matches = |a: &str| audiences.iter().any(|x| x == a);
        match k.aud {
            None => return Err(JwtError::invalid("Token is missing the \"aud\" claim")),
            Some(Value::String(aud)) => {
                if !matches(aud) {
                    return Err(JwtError::invalid("Audience doesn't match"));
                }
            }
            Some(Value::Array(list)) => {
                if list.iter().any(|v| !v.is_string()) {
                    return Err(JwtError::invalid("Invalid claim format in token"));
                }
                if !list.iter().filter_map(Value::as_str).any(matches) {
                    return Err(JwtError::invalid("Audience doesn't match"));
                }
            }
            Some(_) => return Err(JwtError::invalid("Invalid claim format in token")),
        }
    }
    if cfg.verify_sub && k.sub.is_some_and(|s| !s.is_string()) {
        return Err(JwtError::invalid("Subject must be a string"));
    }
    if k.jti.is_some_and(|j| !j.is_string()) {
        return Err(JwtError::invalid("JWT ID must be a string"));
    }
    if k.identity.is_none() {
        return Err(JwtError::new(
            ErrorKind::InvalidToken,
            format!("Missing claim: {}", cfg.identity_claim),
        ));
    }
    if k.csrf.is_some_and(|c| !c.is_string()) {
        return Err(JwtError::invalid("Invalid claim format: csrf"));
    }
    let token_type = match k.typ {
        None => TokenType::Access,
        Some(Value::String(t)) => match t.as_str() {
            "access" => TokenType::Access,
            "refresh" => TokenType::Refresh,
            other => TokenType::Other(other.into()),
        },
        Some(_) => return Err(JwtError::invalid("Invalid claim format: type")),
    };
    let fresh = match k.fresh {
        None => Freshness::Bool(false),
        Some(Value::Bool(b)) => Freshness::Bool(*b),
        Some(Value::Number(n)) => n.as_f64().map_or(Freshness::Invalid, Freshness::Until),
        Some(_) => Freshness::Invalid,
    };
    let names = k.names;
    let identity = k.identity.cloned().unwrap_or_default();
    let mut hot = [None; Hot::COUNT];
    for (claim, value) in [
        (Hot::Jti, k.jti),
        (Hot::Csrf, k.csrf),
        (Hot::Pair, k.pair),
        (Hot::Family, k.family),
        (Hot::Iss, k.iss),
    ] {
        hot[claim as usize] = value.and_then(Value::as_str);
    }
    let texts = Texts::new(payload, hot);

    let decoded = DecodedToken {
        header,
        texts,
        claims: OnceLock::from(claims),
        uuids: OnceLock::new(),
        clean_at: Default::default(),
        names,
        identity,
        identity_claim: cfg.identity_claim.clone(),
        algorithm,
        token_type,
        fresh,
        exp: times.exp,
        iat: times.iat,
        nbf: times.nbf,
        external: cfg.external,
    };
    if times.expired && expiry == Expiry::Enforce {
        return Err(expired(Arc::new(decoded)));
    }
    Ok(decoded)
}

/// A token's time claims, checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Times {
    pub(crate) iat: Option<u64>,
    pub(crate) nbf: Option<u64>,
    pub(crate) exp: Option<u64>,
    /// `exp` (plus leeway) has passed. Not an error here: verification reports it after the
    /// other claim checks, with the token attached.
    pub(crate) expired: bool,
}

/// The one definition of the `iat`, `nbf` and `exp` checks and their order (PyJWT's): `iat`,
/// then `nbf`, then `exp`, each with `leeway` seconds. Verification and the verified-token
/// cache both run it, so a token gets the same answer on its first request and on a
/// repeated one.
///
/// Each claim comes as read from the token (`Ok(None)`: absent; `Err`: not a NumericDate),
/// and an unreadable claim is refused in its turn, before the claims after it are looked at.
pub(crate) fn check_times(
    iat: Result<Option<u64>, JwtError>,
    nbf: Result<Option<u64>, JwtError>,
    exp: Result<Option<u64>, JwtError>,
    now: u64,
    leeway: u64,
) -> Result<Times, JwtError> {
    let soon = now.saturating_add(leeway);
    let iat = iat?;
    if iat.is_some_and(|iat| iat > soon) {
        return Err(JwtError::invalid("The token is not yet valid (iat)"));
    }
    let nbf = nbf?;
    if nbf.is_some_and(|nbf| nbf > soon) {
        return Err(JwtError::invalid("The token is not yet valid (nbf)"));
    }
    let exp = exp?;
    let expired = exp.is_some_and(|exp| exp.saturating_add(leeway) <= now);
    Ok(Times {
        iat,
        nbf,
        exp,
        expired,
    })
}

/// The error for an expired token, which carries the token (FJE's expired-token callback
/// receives it).
pub(crate) fn expired(token: Arc<DecodedToken>) -> JwtError {
    JwtError::new(ErrorKind::Expired, "Token has expired").with_token(token)
}

#[derive(Clone, Copy)]
pub(crate) enum Round {
    Up,
    Down,
}

/// A NumericDate (RFC 7519): a non-negative JSON number that fits in `u64` seconds.
/// Fractions round toward the safe side: `exp` down, `iat`/`nbf` up.
pub(crate) fn numeric_date(v: &Value, round: Round) -> Option<u64> {
    let Value::Number(n) = v else { return None };
    if let Some(u) = n.as_u64() {
        return Some(u);
    }
    if n.is_i64() {
        return None; // negative
    }
    let f = n.as_f64()?;
    // 2^64 is exactly representable; anything at or above it does not fit.
    if !(0.0..18_446_744_073_709_551_616.0).contains(&f) {
        return None;
    }
    let r = match round {
        Round::Up => f.ceil(),
        Round::Down => f.floor(),
    };
    // `r` is in [0, 2^64]; a cast saturates at u64::MAX.
    Some(r as u64)
}

#[derive(Debug)]
enum ParseError {
    NotObject,
    Duplicate,
    Syntax,
}

/// Parses a JSON object, refusing duplicate member names (RFC 7519 §4, RFC 8725 §3.7).
/// serde_json's default recursion limit (128) stays on.
fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, ParseError> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        // Also catches a BOM, arrays, strings, numbers, null.
        return match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
            Ok(_) => Err(ParseError::NotObject),
            Err(_) => Err(ParseError::Syntax),
        };
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let map = NoDupMap.deserialize(&mut de).map_err(|e| {
        if e.to_string().starts_with(DUPLICATE) {
            ParseError::Duplicate
        } else {
            ParseError::Syntax
        }
    })?;
    de.end().map_err(|_| ParseError::Syntax)?;
    Ok(map)
}

const DUPLICATE: &str = "jwt-extended: duplicate member";

struct NoDupMap;

impl<'de> DeserializeSeed<'de> for NoDupMap {
    type Value = Map<String, Value>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for NoDupMap {
    type Value = Map<String, Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            let value: Value = access.next_value()?;
            if map.insert(key, value).is_some() {
                return Err(de::Error::custom(DUPLICATE));
            }
        }
        Ok(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numeric_dates() {
        assert_eq!(numeric_date(&json!(5), Round::Down), Some(5));
        assert_eq!(numeric_date(&json!(u64::MAX), Round::Down), Some(u64::MAX));
        assert_eq!(
            numeric_date(&json!(i64::MAX), Round::Down),
            Some(i64::MAX as u64)
        );
        assert_eq!(numeric_date(&json!(5.5), Round::Down), Some(5));
        assert_eq!(numeric_date(&json!(5.5), Round::Up), Some(6));
        assert_eq!(
            numeric_date(&json!(9.9e9), Round::Down),
            Some(9_900_000_000)
        );
        for bad in [
            json!(-1),
            json!(-0.5),
            json!(1e300),
            json!("5"),
            json!(null),
            json!(true),
            json!({}),
        ] {
            assert_eq!(numeric_date(&bad, Round::Down), None, "{bad}");
        }
        let huge: Value = serde_json::from_str("100000000000000000000").unwrap();
        assert_eq!(numeric_date(&huge, Round::Down), None);
    }

    #[test]
    fn objects_only_and_no_duplicates() {
        assert!(parse_object(br#"{"a":1,"b":{"a":2}}"#).is_ok());
        assert!(matches!(
            parse_object(br#"{"a":1,"a":2}"#),
            Err(ParseError::Duplicate)
        ));
        assert!(matches!(parse_object(b"[1]"), Err(ParseError::NotObject)));
        assert!(matches!(parse_object(b"null"), Err(ParseError::NotObject)));
        assert!(matches!(
            parse_object(b"\xEF\xBB\xBF{}"),
            Err(ParseError::Syntax)
        ));
        assert!(matches!(parse_object(b"{} x"), Err(ParseError::Syntax)));
        assert!(matches!(
            parse_object(br#"{"a":"\ud800"}"#),
            Err(ParseError::Syntax)
        ));
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(matches!(
            parse_object(deep.as_bytes()),
            Err(ParseError::Syntax)
        ));
    }
}
