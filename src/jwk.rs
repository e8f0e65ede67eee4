//! JSON Web Key Sets (RFC 7517): an issuer's published keys turned into verification keys,
//! each pinned to one algorithm.
//!
//! What a key set may hold is untrusted input (it comes over the network), so a key is
//! used only when every rule holds, and skipped otherwise (the rest of the set still
//! counts):
//!
//! - key types `RSA` (at least 2048 bits), `EC` on P-256 or P-384, `OKP` on Ed25519; never
//!   `oct` (a symmetric key in a public set is a leak, never a verification key) and never
//!   the algorithm `none`;
//! - the algorithm is the JWK's `alg` when present (it must fit the key type and curve),
//!   else the key type's: RSA → RS256, P-256 → ES256, P-384 → ES384, Ed25519 → EdDSA;
//! - `use` other than `sig`, or `key_ops` without `verify`, is not a signing key;
//! - a key carrying private members (`d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`, `k`) is never
//!   used: its publisher leaked it, so anyone may have signed with it.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::crypto::CryptoProvider;
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey};
use serde_json::{Map, Value};

use crate::keys::VerifyKey;

/// At most this many keys of a set are looked at (identity providers publish a handful).
pub(crate) const MAX_KEYS: usize = 64;

/// The longest `kid` kept.
const MAX_KID_LEN: usize = 256;

/// Members that only a private or symmetric key has.
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// One usable key of a set.
pub(crate) struct TableKey {
    pub(crate) kid: Option<Box<str>>,
    pub(crate) key: VerifyKey,
}

/// The usable keys of one JWK Set.
#[derive(Default)]
pub(crate) struct KeyTable {
    pub(crate) keys: Vec<TableKey>,
}

/// What a `kid` and `alg` find in a [`KeyTable`].
pub(crate) enum Lookup<'a> {
    /// The key for that `kid` (or the one key, for a token without `kid`), pinned to `alg`.
    Found(&'a VerifyKey),
    /// The `kid` is known, but its key is pinned to another algorithm.
    WrongAlgorithm,
    /// The token names no `kid` and several keys could verify it (never try every key).
    Ambiguous,
    /// No key has this `kid` (or, without `kid`, no key fits `alg`): a re-fetch may help.
    Unknown,
}

impl KeyTable {
    /// The key for a token's `kid` and `alg`.
    pub(crate) fn lookup(&self, kid: Option<&str>, alg: Algorithm) -> Lookup<'_> {
        match kid {
            Some(kid) => {
                let mut named = self.keys.iter().filter(|k| k.kid.as_deref() == Some(kid));
                let mut any = false;
                for k in &mut named {
                    any = true;
                    if k.key.algorithm == alg {
                        return Lookup::Found(&k.key);
                    }
                }
                if any {
                    Lookup::WrongAlgorithm
                } else {
                    Lookup::Unknown
                }
            }
            None => {
                let mut fits = self.keys.iter().filter(|k| k.key.algorithm == alg);
                match (fits.next(), fits.next()) {
                    (Some(k), None) => Lookup::Found(&k.key),
                    (Some(_), Some(_)) => Lookup::Ambiguous,
                    (None, _) => Lookup::Unknown,
                }
            }
        }
    }

    /// Whether any key is pinned to `alg`.
    pub(crate) fn accepts(&self, alg: Algorithm) -> bool {
        self.keys.iter().any(|k| k.key.algorithm == alg)
    }

    /// How many keys the table holds.
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the table holds no key (nothing fetched yet).
    pub(crate) fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// Why a whole set was refused (cached keys, if any, stay in use).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SetError {
    /// Not JSON, or not an object with a `keys` array.
    NotASet,
    /// No key of the set can verify tokens under the rules above.
    NoUsableKey,
}

impl SetError {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::NotASet => "not a JWK Set",
            Self::NoUsableKey => "no usable signing key in the JWK Set",
        }
    }
}

/// A parsed set: its usable keys and how many were skipped.
pub(crate) struct Parsed {
    pub(crate) table: KeyTable,
    pub(crate) skipped: usize,
}

/// Parses a JWK Set, keeping the keys that may verify tokens signed with one of `allowed`.
/// A later key with the same `kid` and algorithm as an earlier one is skipped.
pub(crate) fn parse_set(
    json: &[u8],
    provider: &CryptoProvider,
    allowed: &[Algorithm],
) -> Result<Parsed, SetError> {
    let value: Value = serde_json::from_slice(json).map_err(|_| SetError::NotASet)?;
    let Some(Value::Array(keys)) = value.as_object().and_then(|o| o.get("keys")) else {
        return Err(SetError::NotASet);
    };
    let mut table = KeyTable::default();
    let mut skipped = keys.len().saturating_sub(MAX_KEYS);
    for jwk in keys.iter().take(MAX_KEYS) {
        match parse_key(jwk, provider, allowed) {
            Ok(key)
                if !table
                    .keys
                    .iter()
                    .any(|k| k.kid == key.kid && k.key.algorithm == key.key.algorithm) =>
            {
                table.keys.push(key);
            }
            Ok(_) | Err(_) => skipped += 1,
        }
    }
    if table.keys.is_empty() {
        return Err(SetError::NoUsableKey);
    }
    Ok(Parsed { table, skipped })
}

/// Why one key was skipped (for tests and debugging; never shown to clients).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Skip {
    NotAnObject,
    PrivateMember,
    NotForSigning,
    BadKid,
    UnknownAlgorithm,
    UnsupportedKeyType,
    UnsupportedCurve,
    AlgorithmDoesNotFitKey,
    BadMaterial,
    WeakRsa,
    NotAllowed,
}

fn parse_key(
    jwk: &Value,
    provider: &CryptoProvider,
    allowed: &[Algorithm],
) -> Result<TableKey, Skip> {
    let jwk = jwk.as_object().ok_or(Skip::NotAnObject)?;
    if PRIVATE_MEMBERS.iter().any(|m| jwk.contains_key(*m)) {
        return Err(Skip::PrivateMember);
    }
    match jwk.get("use") {
        None => {}
        Some(Value::String(u)) if u == "sig" => {}
        Some(_) => return Err(Skip::NotForSigning),
    }
    match jwk.get("key_ops") {
        None => {}
        Some(Value::Array(ops)) if ops.iter().any(|o| o.as_str() == Some("verify")) => {}
        Some(_) => return Err(Skip::NotForSigning),
    }
    let kid = match jwk.get("kid") {
        None => None,
        Some(Value::String(k)) if !k.is_empty() && k.len() <= MAX_KID_LEN => {
            Some(Box::from(k.as_str()))
        }
        Some(_) => return Err(Skip::BadKid),
    };
    let declared = match jwk.get("alg") {
        None => None,
        Some(Value::String(a)) => Some(a.parse::<Algorithm>().map_err(|_| Skip::UnknownAlgorithm)?),
        Some(_) => return Err(Skip::UnknownAlgorithm),
    };
    let (by_type, decoding) = match text(jwk, "kty")? {
        "RSA" => {
            let n = text(jwk, "n")?;
            let modulus = URL_SAFE_NO_PAD.decode(n).map_err(|_| Skip::BadMaterial)?;
            let bits = modulus.iter().skip_while(|b| **b == 0).count() * 8;
            if bits < 2048 {
                return Err(Skip::WeakRsa);
            }
            let e = text(jwk, "e")?;
            let exponent = URL_SAFE_NO_PAD.decode(e).map_err(|_| Skip::BadMaterial)?;
            if exponent.is_empty() || exponent.len() > 8 {
                return Err(Skip::BadMaterial);
            }
            // As DER (PKCS#1 RSAPublicKey), the form a PEM key has: both backends verify
            // with it about three times faster than with the raw components.
            (
                Algorithm::RS256,
                DecodingKey::from_rsa_der(&rsa_public_key_der(&modulus, &exponent)),
            )
        }
        "EC" => {
            let (alg, len) = match text(jwk, "crv")? {
                "P-256" => (Algorithm::ES256, 32),
                "P-384" => (Algorithm::ES384, 48),
                _ => return Err(Skip::UnsupportedCurve),
            };
            let x = coordinate(jwk, "x", len)?;
            let y = coordinate(jwk, "y", len)?;
            let mut point = Vec::with_capacity(1 + 2 * len);
            point.push(0x04);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            (alg, DecodingKey::from_ec_der(&point))
        }
        "OKP" => {
            if text(jwk, "crv")? != "Ed25519" {
                return Err(Skip::UnsupportedCurve);
            }
            let x = coordinate(jwk, "x", 32)?;
            (Algorithm::EdDSA, DecodingKey::from_ed_der(&x))
        }
        _ => return Err(Skip::UnsupportedKeyType),
    };
    let algorithm = match declared {
        None => by_type,
        Some(alg) => {
            let fits = match by_type.family() {
                // Any RSA signature algorithm fits an RSA key.
                AlgorithmFamily::Rsa => alg.family() == AlgorithmFamily::Rsa,
                // A curve has exactly one algorithm.
                _ => alg == by_type,
            };
            if !fits {
                return Err(Skip::AlgorithmDoesNotFitKey);
            }
            alg
        }
    };
    if !allowed.contains(&algorithm) {
        return Err(Skip::NotAllowed);
    }
    if (provider.verifier_factory)(&algorithm, &decoding).is_err() {
        return Err(Skip::BadMaterial);
    }
    Ok(TableKey {
        kid,
        key: VerifyKey::new(provider, algorithm, decoding, &[]),
    })
}

/// DER of PKCS#1 `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }`
/// from the big-endian modulus and exponent.
fn rsa_public_key_der(n: &[u8], e: &[u8]) -> Vec<u8> {
    fn length(out: &mut Vec<u8>, len: usize) {
        if len < 0x80 {
            out.push(len as u8);
        } else {
            let bytes = len.to_be_bytes();
            let skip = bytes.iter().take_while(|b| **b == 0).count();
            out.push(0x80 | (bytes.len() - skip) as u8);
            out.extend_from_slice(&bytes[skip..]);
        }
    }
    fn integer(out: &mut Vec<u8>, value: &[u8]) {
        let skip = value.iter().take_while(|b| **b == 0).count();
        let value = &value[skip..];
        let pad = value.first().is_none_or(|b| b & 0x80 != 0);
        out.push(0x02);
        length(out, value.len() + usize::from(pad));
        if pad {
            out.push(0);
        }
        out.extend_from_slice(value);
    }
    let mut body = Vec::with_capacity(n.len() + e.len() + 16);
    integer(&mut body, n);
    integer(&mut body, e);
    let mut der = Vec::with_capacity(body.len() + 4);
    der.push(0x30);
    length(&mut der, body.len());
    der.extend_from_slice(&body);
    der
}

fn text<'a>(jwk: &'a Map<String, Value>, name: &str) -> Result<&'a str, Skip> {
    match jwk.get(name) {
        Some(Value::String(s)) => Ok(s),
        None if name == "kty" => Err(Skip::UnsupportedKeyType),
        _ => Err(Skip::BadMaterial),
    }
}

/// A base64url curve coordinate of exactly `len` bytes.
fn coordinate(jwk: &Map<String, Value>, name: &str, len: usize) -> Result<Vec<u8>, Skip> {
    let bytes = URL_SAFE_NO_PAD
        .decode(text(jwk, name)?)
        .map_err(|_| Skip::BadMaterial)?;
    if bytes.len() != len {
        return Err(Skip::BadMaterial);
    }
    Ok(bytes)
}

#[cfg(all(test, any(feature = "aws-lc-rs", feature = "rust-crypto")))]
mod tests {
    use super::*;
    use crate::keys::{crypto_provider, public_jwk};
    use serde_json::json;

    const ALL: [Algorithm; 9] = [
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::EdDSA,
    ];

    fn rsa_n(bits: usize) -> String {
        let mut n = vec![0xC5u8; bits / 8];
        n[bits / 8 - 1] |= 1;
        URL_SAFE_NO_PAD.encode(n)
    }

    fn b(len: usize, byte: u8) -> String {
        URL_SAFE_NO_PAD.encode(vec![byte; len])
    }

    /// A real public key's coordinate (`x` or `y`) from the fixture key `name`: synthetic
    /// coordinates are no curve point, which the RustCrypto backend refuses up front.
    fn real(name: &str, member: &str) -> String {
        let (alg, key) = match name {
            "ec256" => (
                Algorithm::ES256,
                DecodingKey::from_ec_pem(&pem("ec256_public.pem")),
            ),
            "ec384" => (
                Algorithm::ES384,
                DecodingKey::from_ec_pem(&pem("ec384_public.pem")),
            ),
            _ => (
                Algorithm::EdDSA,
                DecodingKey::from_ed_pem(&pem("ed25519_public.pem")),
            ),
        };
        let jwk = public_jwk(alg, None, &key.unwrap()).unwrap().unwrap();
        serde_json::to_value(jwk).unwrap()[member]
            .as_str()
            .unwrap()
            .to_owned()
    }

    fn skip_of(jwk: Value) -> Result<Algorithm, Skip> {
        parse_key(&jwk, crypto_provider().unwrap(), &ALL).map(|k| k.key.algorithm)
    }

    #[test]
    fn algorithm_from_the_key_type_when_absent() {
        assert_eq!(
            skip_of(json!({"kty":"RSA","n":rsa_n(2048),"e":"AQAB"})),
            Ok(Algorithm::RS256)
        );
        assert_eq!(
            skip_of(json!({"kty":"EC","crv":"P-256","x":real("ec256","x"),"y":real("ec256","y")})),
            Ok(Algorithm::ES256)
        );
        assert_eq!(
            skip_of(json!({"kty":"EC","crv":"P-384","x":real("ec384","x"),"y":real("ec384","y")})),
            Ok(Algorithm::ES384)
        );
        assert_eq!(
            skip_of(json!({"kty":"OKP","crv":"Ed25519","x":real("ed25519","x")})),
            Ok(Algorithm::EdDSA)
        );
    }

    #[test]
    fn declared_algorithm_must_fit_the_key() {
        assert_eq!(
            skip_of(json!({"kty":"RSA","alg":"PS384","n":rsa_n(2048),"e":"AQAB"})),
            Ok(Algorithm::PS384)
        );
        for (jwk, why) in [
            (
                json!({"kty":"RSA","alg":"HS256","n":rsa_n(2048),"e":"AQAB"}),
                Skip::AlgorithmDoesNotFitKey,
            ),
            (
                json!({"kty":"RSA","alg":"ES256","n":rsa_n(2048),"e":"AQAB"}),
                Skip::AlgorithmDoesNotFitKey,
            ),
            (
                json!({"kty":"EC","alg":"ES384","crv":"P-256","x":b(32,1),"y":b(32,2)}),
                Skip::AlgorithmDoesNotFitKey,
            ),
            (
                json!({"kty":"RSA","alg":"none","n":rsa_n(2048),"e":"AQAB"}),
                Skip::UnknownAlgorithm,
            ),
            (
                json!({"kty":"RSA","alg":"RSA-OAEP","n":rsa_n(2048),"e":"AQAB"}),
                Skip::UnknownAlgorithm,
            ),
            (
                json!({"kty":"RSA","alg":"rs256","n":rsa_n(2048),"e":"AQAB"}),
                Skip::UnknownAlgorithm,
            ),
        ] {
            assert_eq!(skip_of(jwk.clone()), Err(why), "{jwk}");
        }
    }

    #[test]
    fn unusable_keys_are_skipped() {
        for (jwk, why) in [
            (json!({"kty":"oct","k":b(32,1)}), Skip::PrivateMember),
            (json!({"kty":"oct"}), Skip::UnsupportedKeyType),
            (
                json!({"kty":"RSA","n":rsa_n(2048),"e":"AQAB","d":"AQAB"}),
                Skip::PrivateMember,
            ),
            (
                json!({"kty":"EC","crv":"P-256","x":b(32,1),"y":b(32,2),"d":b(32,3)}),
                Skip::PrivateMember,
            ),
            (
                json!({"kty":"OKP","crv":"Ed25519","x":b(32,3),"d":b(32,3)}),
                Skip::PrivateMember,
            ),
            (
                json!({"kty":"RSA","use":"enc","n":rsa_n(2048),"e":"AQAB"}),
                Skip::NotForSigning,
            ),
            (
                json!({"kty":"RSA","key_ops":["encrypt"],"n":rsa_n(2048),"e":"AQAB"}),
                Skip::NotForSigning,
            ),
            (
                json!({"kty":"RSA","n":rsa_n(1024),"e":"AQAB"}),
                Skip::WeakRsa,
            ),
            (
                json!({"kty":"RSA","n":rsa_n(2048),"e":"AQAB","kid":5}),
                Skip::BadKid,
            ),
            (
                json!({"kty":"EC","crv":"P-521","x":b(66,1),"y":b(66,2)}),
                Skip::UnsupportedCurve,
            ),
            (
                json!({"kty":"EC","crv":"secp256k1","x":b(32,1),"y":b(32,2)}),
                Skip::UnsupportedCurve,
            ),
            (
                json!({"kty":"EC","crv":"P-256","x":b(31,1),"y":b(32,2)}),
                Skip::BadMaterial,
            ),
            (
                json!({"kty":"OKP","crv":"X25519","x":b(32,3)}),
                Skip::UnsupportedCurve,
            ),
            (json!({"kty":"RSA","n":"!!","e":"AQAB"}), Skip::BadMaterial),
            (json!({"kty":"RSA","n":rsa_n(2048)}), Skip::BadMaterial),
            (json!({"kty":"XYZ"}), Skip::UnsupportedKeyType),
            (
                json!({"n":rsa_n(2048),"e":"AQAB"}),
                Skip::UnsupportedKeyType,
            ),
            (json!("RSA"), Skip::NotAnObject),
        ] {
            assert_eq!(skip_of(jwk.clone()), Err(why), "{jwk}");
        }
    }

    #[test]
    fn per_issuer_algorithms_filter_keys() {
        let provider = crypto_provider().unwrap();
        let set = json!({"keys":[
            {"kty":"RSA","kid":"r","n":rsa_n(2048),"e":"AQAB"},
            {"kty":"EC","kid":"e","crv":"P-256","x":real("ec256","x"),"y":real("ec256","y")},
        ]})
        .to_string();
        let parsed = parse_set(set.as_bytes(), provider, &[Algorithm::ES256]).unwrap();
        assert_eq!(parsed.table.len(), 1);
        assert_eq!(parsed.skipped, 1);
        assert!(matches!(
            parsed.table.lookup(Some("e"), Algorithm::ES256),
            Lookup::Found(_)
        ));
        assert!(matches!(
            parsed.table.lookup(Some("r"), Algorithm::RS256),
            Lookup::Unknown
        ));
        assert!(matches!(
            parsed.table.lookup(Some("e"), Algorithm::ES384),
            Lookup::WrongAlgorithm
        ));
        assert_eq!(
            parse_set(set.as_bytes(), provider, &[Algorithm::EdDSA]).err(),
            Some(SetError::NoUsableKey)
        );
    }

    #[test]
    fn sets_and_lookups() {
        let provider = crypto_provider().unwrap();
        for bad in [
            &b"not json"[..],
            b"[]",
            b"{}",
            br#"{"keys":{}}"#,
            b"\xEF\xBB\xBF{\"keys\":[]}",
        ] {
            assert_eq!(
                parse_set(bad, provider, &ALL).err(),
                Some(SetError::NotASet)
            );
        }
        assert_eq!(
            parse_set(br#"{"keys":[]}"#, provider, &ALL).err(),
            Some(SetError::NoUsableKey)
        );
        let set = json!({"keys":[
            {"kty":"RSA","kid":"a","n":rsa_n(2048),"e":"AQAB"},
            {"kty":"RSA","kid":"a","n":rsa_n(4096),"e":"AQAB"},
            {"kty":"RSA","kid":"b","n":rsa_n(2048),"e":"AQAB","use":"sig"},
            {"kty":"oct","kid":"c","k":b(32,1)},
        ]})
        .to_string();
        let parsed = parse_set(set.as_bytes(), provider, &ALL).unwrap();
        assert_eq!(
            parsed.table.len(),
            2,
            "the duplicate (kid, alg) and oct are skipped"
        );
        assert_eq!(parsed.skipped, 2);
        assert!(matches!(
            parsed.table.lookup(None, Algorithm::RS256),
            Lookup::Ambiguous
        ));
        assert!(matches!(
            parsed.table.lookup(None, Algorithm::ES256),
            Lookup::Unknown
        ));
        assert!(matches!(
            parsed.table.lookup(Some("c"), Algorithm::HS256),
            Lookup::Unknown
        ));
        assert!(parsed.table.accepts(Algorithm::RS256));
        assert!(!parsed.table.accepts(Algorithm::HS256));

        // A flood of keys: only the first MAX_KEYS are looked at.
        let x = real("ed25519", "x");
        let many: Vec<Value> = (0..MAX_KEYS + 10)
            .map(|i| json!({"kty":"OKP","crv":"Ed25519","kid":i.to_string(),"x":x}))
            .collect();
        let set = json!({ "keys": many }).to_string();
        let parsed = parse_set(set.as_bytes(), provider, &ALL).unwrap();
        assert_eq!(parsed.table.len(), MAX_KEYS);
        assert_eq!(parsed.skipped, 10);
    }

    fn pem(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/tests/fixtures/keys/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    /// Our published keys parse back as the same keys, with nothing private in them.
    #[test]
    fn published_keys_round_trip() {
        let provider = crypto_provider().unwrap();
        let cases = [
            (
                Algorithm::RS256,
                DecodingKey::from_rsa_pem(&pem("rsa_public.pem")).unwrap(),
                "RSA",
            ),
            (
                Algorithm::PS512,
                DecodingKey::from_rsa_pem(&pem("rsa_public.pem")).unwrap(),
                "RSA",
            ),
            (
                Algorithm::ES256,
                DecodingKey::from_ec_pem(&pem("ec256_public.pem")).unwrap(),
                "EC",
            ),
            (
                Algorithm::ES384,
                DecodingKey::from_ec_pem(&pem("ec384_public.pem")).unwrap(),
                "EC",
            ),
            (
                Algorithm::EdDSA,
                DecodingKey::from_ed_pem(&pem("ed25519_public.pem")).unwrap(),
                "OKP",
            ),
        ];
        for (alg, decoding, kty) in cases {
            let jwk = public_jwk(alg, Some("k1"), &decoding).unwrap().unwrap();
            let value = serde_json::to_value(&jwk).unwrap();
            assert_eq!(value["kty"], kty);
            assert_eq!(value["kid"], "k1");
            assert_eq!(value["use"], "sig");
            assert_eq!(value["alg"], format!("{alg:?}"));
            for private in PRIVATE_MEMBERS {
                assert!(value.get(private).is_none(), "{alg:?}: {private}");
            }
            let set = json!({ "keys": [value] }).to_string();
            let parsed = parse_set(set.as_bytes(), provider, &ALL).unwrap();
            assert_eq!(parsed.table.len(), 1, "{alg:?}");
            assert!(matches!(
                parsed.table.lookup(Some("k1"), alg),
                Lookup::Found(_)
            ));
            // Without a kid, the thumbprint names the key, the same every time.
            let a = public_jwk(alg, None, &decoding).unwrap().unwrap();
            let b = public_jwk(alg, None, &decoding).unwrap().unwrap();
            assert_eq!(a.common.key_id, b.common.key_id);
            assert_eq!(a.common.key_id.as_deref().map(str::len), Some(43));
        }
        let hmac = DecodingKey::from_secret(&[b'k'; 32]);
        assert!(
            public_jwk(Algorithm::HS256, Some("k"), &hmac)
                .unwrap()
                .is_none()
        );
    }

    /// The DER built from a JWK's `n` and `e` is exactly the key of the PEM it came from.
    #[test]
    fn rsa_der_matches_the_pem() {
        use jsonwebtoken::DecodingKeyKind;
        let pem_key = DecodingKey::from_rsa_pem(&pem("rsa_public.pem")).unwrap();
        let DecodingKeyKind::SecretOrDer(expected) = pem_key.kind() else {
            panic!("a PEM key is DER")
        };
        let jwk = public_jwk(Algorithm::RS256, Some("k"), &pem_key)
            .unwrap()
            .unwrap();
        let value = serde_json::to_value(&jwk).unwrap();
        let n = URL_SAFE_NO_PAD
            .decode(value["n"].as_str().unwrap())
            .unwrap();
        let e = URL_SAFE_NO_PAD
            .decode(value["e"].as_str().unwrap())
            .unwrap();
        assert_eq!(&rsa_public_key_der(&n, &e), expected);
        // Short forms: a small exponent, a leading zero, a high bit.
        assert_eq!(
            rsa_public_key_der(&[0x7f], &[1, 0, 1]),
            [0x30, 8, 2, 1, 0x7f, 2, 3, 1, 0, 1]
        );
        assert_eq!(
            rsa_public_key_der(&[0, 0x80], &[3]),
            [0x30, 7, 2, 2, 0, 0x80, 2, 1, 3]
        );
    }

    /// RFC 7638 §3.1's example thumbprint.
    #[test]
    fn thumbprint_is_rfc_7638() {
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        let decoding = DecodingKey::from_rsa_components(n, "AQAB").unwrap();
        let jwk = public_jwk(Algorithm::RS256, None, &decoding)
            .unwrap()
            .unwrap();
        assert_eq!(
            jwk.common.key_id.as_deref(),
            Some("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
        );
    }
}
