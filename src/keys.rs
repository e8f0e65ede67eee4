//! Keys: one pinned algorithm per key, key rotation by `kid`, and the crypto backend.

use std::collections::HashMap;
use std::fmt;

use jsonwebtoken::crypto::CryptoProvider;
use jsonwebtoken::signature::Verifier;
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, DecodingKeyKind, EncodingKey};

use crate::error::ConfigError;

/// A signing and/or verification key with its one pinned algorithm and optional `kid`.
///
/// Keys never print their material in `Debug`.
///
/// ```
/// use jwt_extended::{Algorithm, JwtManager, Key};
///
/// // Sign with the new key; still accept tokens signed with the old one.
/// let manager = JwtManager::builder()
///     .key(Key::hmac(Algorithm::HS256, "the-new-secret-of-at-least-32-bytes!")?.with_kid("2026-11"))
///     .verification_key(
///         Key::hmac(Algorithm::HS256, "the-old-secret-of-at-least-32-bytes!")?.with_kid("2026-10"),
///     )
///     .build()?;
/// let token = manager.create_access_token("alice")?;
/// assert_eq!(manager.decode_token(&token)?.kid(), Some("2026-11"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Key {
    pub(crate) algorithm: Algorithm,
    pub(crate) kid: Option<String>,
    pub(crate) encoding: Option<EncodingKey>,
    pub(crate) decoding: DecodingKey,
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("algorithm", &self.algorithm)
            .field("kid", &self.kid)
            .field("can_sign", &self.encoding.is_some())
            .field("material", &"[redacted]")
            .finish()
    }
}

impl Key {
    /// An HMAC key (HS256, HS384 or HS512). The secret must be at least as long as the
    /// hash (32, 48 or 64 bytes, RFC 7518 §3.2) and must not look like a PEM, DER or SSH
    /// key (the key-confusion attack).
    pub fn hmac(algorithm: Algorithm, secret: impl AsRef<[u8]>) -> Result<Self, ConfigError> {
        let secret = secret.as_ref();
        let min = match algorithm {
            Algorithm::HS256 => 32,
            Algorithm::HS384 => 48,
            Algorithm::HS512 => 64,
            _ => {
                return Err(ConfigError::AlgorithmMismatch {
                    algorithm,
                    reason: "an HMAC secret needs HS256, HS384 or HS512",
                });
            }
        };
        if looks_like_key_material(secret) {
            return Err(ConfigError::SecretLooksLikeKey);
        }
        if secret.len() < min {
            return Err(ConfigError::WeakSecret {
                algorithm,
                min,
                len: secret.len(),
            });
        }
        Ok(Self {
            algorithm,
            kid: None,
            encoding: Some(EncodingKey::from_secret(secret)),
            decoding: DecodingKey::from_secret(secret),
        })
    }

    /// An asymmetric key pair from PEM (RS*, PS*: RSA of at least 2048 bits; ES256: P-256;
    /// ES384: P-384; EdDSA: Ed25519). The pair is checked by signing and verifying once.
    pub fn from_pem(
        algorithm: Algorithm,
        private_pem: impl AsRef<[u8]>,
        public_pem: impl AsRef<[u8]>,
    ) -> Result<Self, ConfigError> {
        let encoding = encoding_from_pem(algorithm, private_pem.as_ref())?;
        let decoding = decoding_from_pem(algorithm, public_pem.as_ref())?;
        Ok(Self {
            algorithm,
            kid: None,
            encoding: Some(encoding),
            decoding,
        })
    }

    /// A verification-only asymmetric key from a public PEM (for tokens signed elsewhere,
    /// or by a retired key during rotation).
    pub fn public_pem(
        algorithm: Algorithm,
        public_pem: impl AsRef<[u8]>,
    ) -> Result<Self, ConfigError> {
        let decoding = decoding_from_pem(algorithm, public_pem.as_ref())?;
        Ok(Self {
            algorithm,
            kid: None,
            encoding: None,
            decoding,
        })
    }

    /// A verification-only key from a JSON Web Key (RFC 7517), pinned to `algorithm`. An
    /// `oct` key becomes an HMAC key with the same checks as [`Key::hmac`]; the JWK's
    /// `kid`, if any, becomes the key's id.
    ///
    /// ```
    /// use jwt_extended::{Algorithm, Key};
    ///
    /// let jwk = r#"{"kty":"oct","kid":"k1","k":"-ebuDNsVZ2iJtoZ-akfXTSCt4UO2cruLCsbWlBinggE"}"#;
    /// let key = Key::from_jwk(Algorithm::HS256, jwk)?;
    /// assert_eq!(key.kid(), Some("k1"));
    /// # Ok::<(), jwt_extended::ConfigError>(())
    /// ```
    pub fn from_jwk(algorithm: Algorithm, jwk: &str) -> Result<Self, ConfigError> {
        use jsonwebtoken::jwk::{AlgorithmParameters, Jwk};
        let bad = |reason: String| ConfigError::InvalidKey {
            what: "public",
            algorithm,
            reason,
        };
        let jwk: Jwk = serde_json::from_str(jwk).map_err(|e| bad(e.to_string()))?;
        let kid = jwk.common.key_id.clone();
        let mut key = match &jwk.algorithm {
            AlgorithmParameters::OctetKey(oct) => {
                use base64::Engine as _;
                let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(oct.value.trim_end_matches('='))
                    .map_err(|e| bad(e.to_string()))?;
                let mut key = Self::hmac(algorithm, secret)?;
                key.encoding = None;
                key
            }
            _ => {
                let decoding = DecodingKey::from_jwk(&jwk).map_err(|e| bad(e.to_string()))?;
                if decoding.family() != algorithm.family() {
                    return Err(ConfigError::AlgorithmMismatch {
                        algorithm,
                        reason: "the JWK is of another key type",
                    });
                }
                Self {
                    algorithm,
                    kid: None,
                    encoding: None,
                    decoding,
                }
            }
        };
        key.kid = kid;
        Ok(key)
    }

    /// Sets the key id written to the `kid` header of tokens signed with this key, and used
    /// to select this key when verifying.
    #[must_use]
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// The key's algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The key's id, if any.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }
}

fn encoding_from_pem(algorithm: Algorithm, pem: &[u8]) -> Result<EncodingKey, ConfigError> {
    let bad = |reason: String| ConfigError::InvalidKey {
        what: "private",
        algorithm,
        reason,
    };
    match algorithm.family() {
        AlgorithmFamily::Rsa => EncodingKey::from_rsa_pem(pem),
        AlgorithmFamily::Ec => EncodingKey::from_ec_pem(pem),
        AlgorithmFamily::Ed => EncodingKey::from_ed_pem(pem),
        AlgorithmFamily::Hmac => {
            return Err(ConfigError::AlgorithmMismatch {
                algorithm,
                reason: "HMAC algorithms take a secret, not a PEM key",
            });
        }
    }
    .map_err(|e| bad(e.to_string()))
}

fn decoding_from_pem(algorithm: Algorithm, pem: &[u8]) -> Result<DecodingKey, ConfigError> {
    let bad = |reason: String| ConfigError::InvalidKey {
        what: "public",
        algorithm,
        reason,
    };
    match algorithm.family() {
        AlgorithmFamily::Rsa => DecodingKey::from_rsa_pem(pem),
        AlgorithmFamily::Ec => DecodingKey::from_ec_pem(pem),
        AlgorithmFamily::Ed => DecodingKey::from_ed_pem(pem),
        AlgorithmFamily::Hmac => {
            return Err(ConfigError::AlgorithmMismatch {
                algorithm,
                reason: "HMAC algorithms take a secret, not a PEM key",
            });
        }
    }
    .map_err(|e| bad(e.to_string()))
}

/// PyJWT's rule: an HMAC secret that is really public-key material is refused.
fn looks_like_key_material(secret: &[u8]) -> bool {
    let trimmed = secret.trim_ascii_start();
    const PREFIXES: &[&[u8]] = &[
        b"-----BEGIN",
        b"ssh-rsa",
        b"ssh-ed25519",
        b"ssh-dss",
        b"ecdsa-sha2-",
        b"sk-ssh-",
        b"sk-ecdsa-",
    ];
    if PREFIXES.iter().any(|p| trimmed.starts_with(p)) {
        return true;
    }
    // A JSON Web Key (our public key as JWK JSON is as public as its PEM).
    if trimmed.starts_with(b"{") && trimmed.windows(5).any(|w| w == b"\"kty\"") {
        return true;
    }
    // A DER SEQUENCE with a long-form length that covers the rest of the input.
    if let [0x30, 0x82, hi, lo, rest @ ..] = secret {
        return usize::from(*hi) << 8 | usize::from(*lo) == rest.len();
    }
    if let [0x30, 0x81, len, rest @ ..] = secret {
        return usize::from(*len) == rest.len();
    }
    false
}

/// Selects jsonwebtoken's crypto provider: aws-lc-rs when compiled in, otherwise
/// RustCrypto, respecting a provider the application installed first. Never panics.
pub(crate) fn crypto_provider() -> Result<&'static CryptoProvider, ConfigError> {
    #[cfg(feature = "aws-lc-rs")]
    let ours: Option<&'static CryptoProvider> =
        Some(&jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER);
    #[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
    let ours: Option<&'static CryptoProvider> =
        Some(&jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER);
    #[cfg(not(any(feature = "aws-lc-rs", feature = "rust-crypto")))]
    let ours: Option<&'static CryptoProvider> = None;

    let ours = ours.ok_or(ConfigError::NoCryptoBackend)?;
    match ours.install_default() {
        Ok(()) => Ok(ours),
        Err(installed) => Ok(installed),
    }
}

/// An HMAC key set up once (the padded inner and outer keys), with the same primitive that
/// jsonwebtoken's built-in provider of the same backend uses.
#[derive(Clone)]
#[allow(clippy::large_enum_variant)] // a few per key, never per request
enum PreparedHmac {
    #[cfg(feature = "aws-lc-rs")]
    AwsLc(aws_lc_rs::hmac::Key),
    #[cfg(feature = "rust-crypto")]
    Sha256(hmac::Hmac<sha2::Sha256>),
    #[cfg(feature = "rust-crypto")]
    Sha384(hmac::Hmac<sha2::Sha384>),
    #[cfg(feature = "rust-crypto")]
    Sha512(hmac::Hmac<sha2::Sha512>),
}

impl PreparedHmac {
    /// The prepared key for `algorithm`, when `provider` is one of jsonwebtoken's built-in
    /// providers compiled in (whose HMAC is exactly this). Any other provider, such as one
    /// the application installed, keeps going through its own verifier factory.
    #[allow(unused_variables)]
    fn new(provider: &CryptoProvider, algorithm: Algorithm, secret: &[u8]) -> Option<Self> {
        #[cfg(feature = "aws-lc-rs")]
        if std::ptr::eq(provider, &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER) {
            use aws_lc_rs::hmac;
            let alg = match algorithm {
                Algorithm::HS256 => hmac::HMAC_SHA256,
                Algorithm::HS384 => hmac::HMAC_SHA384,
                Algorithm::HS512 => hmac::HMAC_SHA512,
                _ => return None,
            };
            return Some(Self::AwsLc(hmac::Key::new(alg, secret)));
        }
        #[cfg(feature = "rust-crypto")]
        if std::ptr::eq(
            provider,
            &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER,
        ) {
            use hmac::Mac;
            return match algorithm {
                Algorithm::HS256 => hmac::Hmac::new_from_slice(secret).ok().map(Self::Sha256),
                Algorithm::HS384 => hmac::Hmac::new_from_slice(secret).ok().map(Self::Sha384),
                Algorithm::HS512 => hmac::Hmac::new_from_slice(secret).ok().map(Self::Sha512),
                _ => None,
            };
        }
        None
    }

    /// Constant-time verification of `signature` over `message`.
    #[allow(unused_variables)] // without a backend there is no variant
    fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        #[cfg(feature = "rust-crypto")]
        fn mac<M: hmac::Mac + Clone>(key: &M, message: &[u8], signature: &[u8]) -> bool {
            let mut mac = key.clone();
            mac.update(message);
            mac.verify_slice(signature).is_ok()
        }
        match *self {
            #[cfg(feature = "aws-lc-rs")]
            Self::AwsLc(ref key) => aws_lc_rs::hmac::verify(key, message, signature).is_ok(),
            #[cfg(feature = "rust-crypto")]
            Self::Sha256(ref key) => mac(key, message, signature),
            #[cfg(feature = "rust-crypto")]
            Self::Sha384(ref key) => mac(key, message, signature),
            #[cfg(feature = "rust-crypto")]
            Self::Sha512(ref key) => mac(key, message, signature),
        }
    }
}

/// A verification key, with its HMAC keys set up once when it is an HMAC secret.
pub(crate) struct VerifyKey {
    pub(crate) algorithm: Algorithm,
    pub(crate) decoding: DecodingKey,
    /// Prepared HMAC keys, one per HMAC algorithm this key accepts.
    prepared: Vec<(Algorithm, PreparedHmac)>,
}

impl VerifyKey {
    pub(crate) fn new(
        provider: &CryptoProvider,
        algorithm: Algorithm,
        decoding: DecodingKey,
        extra_algs: &[Algorithm],
    ) -> Self {
        let prepared = match decoding.kind() {
            DecodingKeyKind::SecretOrDer(secret) if algorithm.family() == AlgorithmFamily::Hmac => {
                std::iter::once(algorithm)
                    .chain(extra_algs.iter().copied())
                    .filter_map(|alg| Some((alg, PreparedHmac::new(provider, alg, secret)?)))
                    .collect()
            }
            _ => Vec::new(),
        };
        Self {
            algorithm,
            decoding,
            prepared,
        }
    }

    /// Verifies `signature` over `message`. Any backend error counts as a failed
    /// verification (fail closed).
    pub(crate) fn verify(
        &self,
        provider: &CryptoProvider,
        algorithm: Algorithm,
        message: &[u8],
        signature: &[u8],
    ) -> bool {
        if let Some((_, key)) = self.prepared.iter().find(|(alg, _)| *alg == algorithm) {
            return key.verify(message, signature);
        }
        match (provider.verifier_factory)(&algorithm, &self.decoding) {
            Ok(verifier) => Verifier::verify(&*verifier, message, &signature.to_vec()).is_ok(),
            Err(_) => false,
        }
    }
}

/// The table of verification keys, built once.
pub(crate) struct KeySet {
    pub(crate) provider: &'static CryptoProvider,
    /// The key used when a token names no `kid` or an unknown one.
    pub(crate) primary: VerifyKey,
    /// Extra algorithms accepted with the primary key (`decode_algorithms`).
    pub(crate) primary_extra_algs: Vec<Algorithm>,
    pub(crate) by_kid: HashMap<String, VerifyKey>,
    /// The public keys, as the JWK Set `JwtManager::jwks` publishes.
    pub(crate) published: JwksDocument,
}

/// The key new tokens are signed with.
pub(crate) struct SignKey {
    pub(crate) algorithm: Algorithm,
    pub(crate) kid: Option<String>,
    encoding: EncodingKey,
    provider: &'static CryptoProvider,
}

impl SignKey {
    /// Signs `message` with the crypto backend's signer for this key.
    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>, jsonwebtoken::errors::Error> {
        (self.provider.signer_factory)(&self.algorithm, &self.encoding).and_then(|s| {
            jsonwebtoken::signature::Signer::try_sign(&*s, message)
                .map_err(jsonwebtoken::errors::Error::from)
        })
    }
}

impl KeySet {
    /// The verification keys, and the signing key when the primary key can sign.
    pub(crate) fn build(
        provider: &'static CryptoProvider,
        primary: Key,
        decode_algorithms: &[Algorithm],
        extra: Vec<Key>,
    ) -> Result<(Self, Option<SignKey>), ConfigError> {
        let mut primary = primary;
        check_key(provider, &primary)?;
        // An asymmetric key is named by its RFC 7638 thumbprint unless it has a kid: tokens
        // then say which published key verifies them, as JWKS consumers expect.
        if primary.kid.is_none() && primary.algorithm.family() != AlgorithmFamily::Hmac {
            let jwk = public_jwk(primary.algorithm, None, &primary.decoding).map_err(|reason| {
                ConfigError::InvalidKey {
                    what: "public",
                    algorithm: primary.algorithm,
                    reason,
                }
            })?;
            primary.kid = jwk.and_then(|j| j.common.key_id);
        }
        for alg in decode_algorithms {
            if alg.family() != primary.algorithm.family() {
                return Err(ConfigError::AlgorithmMismatch {
                    algorithm: *alg,
                    reason: "decode algorithms must be of the same family as the key",
                });
            }
            if let (AlgorithmFamily::Hmac, DecodingKeyKind::SecretOrDer(secret)) =
                (alg.family(), primary.decoding.kind())
            {
                Key::hmac(*alg, secret)?;
            }
        }
        let mut by_kid = HashMap::new();
        let mut add = |key: &Key| -> Result<(), ConfigError> {
            if let Some(kid) = &key.kid {
                let entry = VerifyKey::new(provider, key.algorithm, key.decoding.clone(), &[]);
                if by_kid.insert(kid.clone(), entry).is_some() {
                    return Err(ConfigError::KeyId(format!(
                        "two keys share the kid {kid:?}"
                    )));
                }
            }
            Ok(())
        };
        add(&primary)?;
        for key in &extra {
            if key.kid.is_none() {
                return Err(ConfigError::KeyId(
                    "every verification key besides the current one needs a kid".into(),
                ));
            }
            check_key(provider, key)?;
            add(key)?;
        }
        let signing = primary.encoding.clone().map(|encoding| SignKey {
            algorithm: primary.algorithm,
            kid: primary.kid.clone(),
            encoding,
            provider,
        });
        let primary_extra_algs: Vec<Algorithm> = decode_algorithms
            .iter()
            .copied()
            .filter(|a| *a != primary.algorithm)
            .collect();
        let mut published = Vec::new();
        for key in std::iter::once(&primary).chain(&extra) {
            let jwk =
                public_jwk(key.algorithm, key.kid.as_deref(), &key.decoding).map_err(|reason| {
                    ConfigError::InvalidKey {
                        what: "public",
                        algorithm: key.algorithm,
                        reason,
                    }
                })?;
            published.extend(jwk);
        }
        let published = JwksDocument::new(published).map_err(|reason| ConfigError::InvalidKey {
            what: "public",
            algorithm: primary.algorithm,
            reason,
        })?;
        let keys = Self {
            published,
            provider,
            primary: VerifyKey::new(
                provider,
                primary.algorithm,
                primary.decoding,
                &primary_extra_algs,
            ),
            primary_extra_algs,
            by_kid,
        };
        Ok((keys, signing))
    }

    /// The key for a token's `kid` and `alg`, or `None` when the algorithm is not the one
    /// pinned to that key.
    pub(crate) fn select(&self, kid: Option<&str>, alg: Algorithm) -> Option<&VerifyKey> {
        if let Some(key) = kid.and_then(|k| self.by_kid.get(k)) {
            return (key.algorithm == alg).then_some(key);
        }
        // No kid, or an unknown one: the primary key answers (an unknown kid then fails
        // signature verification, as with Flask-JWT-Extended's fallback key).
        (self.primary.algorithm == alg || self.primary_extra_algs.contains(&alg))
            .then_some(&self.primary)
    }

    /// Every algorithm any key accepts.
    pub(crate) fn accepts(&self, alg: Algorithm) -> bool {
        self.primary.algorithm == alg
            || self.primary_extra_algs.contains(&alg)
            || self.by_kid.values().any(|k| k.algorithm == alg)
    }
}

/// Our published JWK Set: the keys, and the JSON document served for them.
#[derive(Clone)]
pub(crate) struct JwksDocument {
    pub(crate) set: jsonwebtoken::jwk::JwkSet,
    pub(crate) json: bytes::Bytes,
}

impl JwksDocument {
    pub(crate) fn new(keys: Vec<jsonwebtoken::jwk::Jwk>) -> Result<Self, String> {
        let set = jsonwebtoken::jwk::JwkSet { keys };
        let json = serde_json::to_vec(&set).map_err(|e| e.to_string())?;
        Ok(Self {
            set,
            json: json.into(),
        })
    }
}

/// The public JWK of one of our verification keys: `kty` and its public members, `kid`
/// (the RFC 7638 SHA-256 thumbprint when `kid` is `None`), `alg` and `use: "sig"`. Never a
/// private member; HMAC keys have no public form (`None`).
pub(crate) fn public_jwk(
    algorithm: Algorithm,
    kid: Option<&str>,
    decoding: &DecodingKey,
) -> Result<Option<jsonwebtoken::jwk::Jwk>, String> {
    use jsonwebtoken::jwk::{Jwk, PublicKeyUse, ThumbprintHash};
    if algorithm.family() == AlgorithmFamily::Hmac {
        return Ok(None);
    }
    let mut jwk = Jwk::from_decoding_key(decoding, Some(algorithm)).map_err(|e| e.to_string())?;
    let kid = match kid {
        Some(kid) => kid.to_owned(),
        None => jwk
            .thumbprint(ThumbprintHash::SHA256)
            .map_err(|e| e.to_string())?,
    };
    jwk.common.key_id = Some(kid);
    jwk.common.public_key_use = Some(PublicKeyUse::Signature);
    Ok(Some(jwk))
}

/// Checks a key: RSA size, and a sign/verify round trip when the key can sign.
fn check_key(provider: &'static CryptoProvider, key: &Key) -> Result<(), ConfigError> {
    let algorithm = key.algorithm;
    if key.decoding.family() != algorithm.family() {
        return Err(ConfigError::AlgorithmMismatch {
            algorithm,
            reason: "the key is of another family",
        });
    }
    if let (AlgorithmFamily::Rsa, DecodingKeyKind::SecretOrDer(der)) =
        (algorithm.family(), key.decoding.kind())
    {
        let (n, _) = (provider.key_utils.rsa_pub_components_from_public_key)(der).map_err(|e| {
            ConfigError::InvalidKey {
                what: "public",
                algorithm,
                reason: e.to_string(),
            }
        })?;
        let bits = n.iter().skip_while(|b| **b == 0).count() * 8;
        if bits < 2048 {
            return Err(ConfigError::InvalidKey {
                what: "public",
                algorithm,
                reason: format!("RSA keys must be at least 2048 bits (got about {bits})"),
            });
        }
    }
    let verifier = (provider.verifier_factory)(&algorithm, &key.decoding).map_err(|e| {
        ConfigError::InvalidKey {
            what: "public",
            algorithm,
            reason: e.to_string(),
        }
    })?;
    if let Some(encoding) = &key.encoding {
        let signer = (provider.signer_factory)(&algorithm, encoding).map_err(|e| {
            ConfigError::InvalidKey {
                what: "private",
                algorithm,
                reason: e.to_string(),
            }
        })?;
        let message = b"jwt-extended key self-test".to_vec();
        let signature =
            jsonwebtoken::signature::Signer::try_sign(&*signer, &message).map_err(|e| {
                ConfigError::InvalidKey {
                    what: "private",
                    algorithm,
                    reason: e.to_string(),
                }
            })?;
        if verifier.verify(&message, &signature).is_err() {
            return Err(ConfigError::InvalidKey {
                what: "private",
                algorithm,
                reason: "the private and public keys do not form a pair for this algorithm".into(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_and_ssh_secrets_are_refused() {
        for s in [
            "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----",
            "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC0000000000000000 user@host",
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI000000000000000000 user@host",
            r#"{"kty":"RSA","e":"AQAB","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4"}"#,
        ] {
            assert!(matches!(
                Key::hmac(Algorithm::HS256, s),
                Err(ConfigError::SecretLooksLikeKey)
            ));
        }
    }

    #[test]
    fn secret_length_follows_the_hash() {
        let s48 = [b'k'; 48];
        assert!(Key::hmac(Algorithm::HS256, &s48[..32]).is_ok());
        assert!(matches!(
            Key::hmac(Algorithm::HS384, &s48[..47]),
            Err(ConfigError::WeakSecret { min: 48, .. })
        ));
        assert!(Key::hmac(Algorithm::HS384, s48).is_ok());
        assert!(matches!(
            Key::hmac(Algorithm::HS512, s48),
            Err(ConfigError::WeakSecret { min: 64, .. })
        ));
        assert!(matches!(
            Key::hmac(Algorithm::HS256, ""),
            Err(ConfigError::WeakSecret { len: 0, .. })
        ));
    }

    /// jsonwebtoken's built-in providers compiled in.
    fn builtin_providers() -> Vec<&'static CryptoProvider> {
        [
            #[cfg(feature = "aws-lc-rs")]
            &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER,
            #[cfg(feature = "rust-crypto")]
            &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER,
        ]
        .into()
    }

    /// The prepared HMAC keys answer exactly as each built-in provider's own verifiers do.
    #[test]
    fn prepared_hmac_agrees_with_the_provider() {
        for provider in builtin_providers() {
            prepared_hmac_agrees_with(provider);
        }
    }

    fn prepared_hmac_agrees_with(provider: &'static CryptoProvider) {
        let secret = [b'k'; 64];
        let decoding = DecodingKey::from_secret(&secret);
        let encoding = EncodingKey::from_secret(&secret);
        let algs = [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512];
        let key = VerifyKey::new(provider, Algorithm::HS256, decoding.clone(), &algs[1..]);
        assert_eq!(
            key.prepared.len(),
            3,
            "the built-in providers get prepared keys"
        );
        let plain = VerifyKey {
            algorithm: Algorithm::HS256,
            decoding,
            prepared: Vec::new(),
        };
        for alg in algs {
            let message = format!("header.payload for {alg:?}");
            let signer = (provider.signer_factory)(&alg, &encoding).unwrap();
            let good =
                jsonwebtoken::signature::Signer::try_sign(&*signer, message.as_bytes()).unwrap();
            let mut flipped = good.clone();
            flipped[0] ^= 1;
            let cases: [(&[u8], &[u8]); 6] = [
                (message.as_bytes(), &good),
                (message.as_bytes(), &flipped),
                (message.as_bytes(), &good[..good.len() - 1]),
                (message.as_bytes(), b""),
                (b"another message", &good),
                (message.as_bytes(), &[good.as_slice(), b"x"].concat()),
            ];
            for (i, (m, sig)) in cases.iter().enumerate() {
                let fast = key.verify(provider, alg, m, sig);
                let slow = plain.verify(provider, alg, m, sig);
                assert_eq!(fast, slow, "{alg:?} case {i}");
                assert_eq!(fast, i == 0, "{alg:?} case {i}");
            }
            // Another algorithm's MAC never passes.
            let other = if alg == Algorithm::HS256 {
                Algorithm::HS512
            } else {
                Algorithm::HS256
            };
            assert!(!key.verify(provider, other, message.as_bytes(), &good));
        }
    }

    /// A provider other than the built-in ones keeps its own verifiers.
    #[test]
    fn other_providers_are_not_bypassed() {
        static CUSTOM: CryptoProvider = CryptoProvider {
            signer_factory: |_, _| Err(jsonwebtoken::errors::ErrorKind::InvalidKeyFormat.into()),
            verifier_factory: |_, _| Err(jsonwebtoken::errors::ErrorKind::InvalidKeyFormat.into()),
            key_utils: jsonwebtoken::crypto::KeyUtils::new_unimplemented(),
        };
        let key = VerifyKey::new(
            &CUSTOM,
            Algorithm::HS256,
            DecodingKey::from_secret(&[b'k'; 32]),
            &[],
        );
        assert!(key.prepared.is_empty());
        assert!(!key.verify(&CUSTOM, Algorithm::HS256, b"m", &[0; 32]));
    }

    #[test]
    fn debug_never_prints_material() {
        let key = Key::hmac(Algorithm::HS256, "super-secret-value-super-secret-value").unwrap();
        let printed = format!("{key:?}");
        assert!(!printed.contains("super-secret"));
        assert!(printed.contains("redacted"));
    }
}
