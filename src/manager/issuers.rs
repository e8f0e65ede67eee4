//! External issuers: a token is routed by its `iss` to the issuer that signed it, then
//! verified by the one pipeline with that issuer's keys and rules.

use std::collections::HashMap;
use std::sync::Arc;

use jsonwebtoken::crypto::CryptoProvider;

use super::JwtManager;
use crate::claims::{DecodedToken, Hot};
use crate::decode::{DecodeConfig, Expiry, Now, peek_issuer, peek_key_id};
use crate::error::{ConfigError, JwtError};
use crate::issuer::Issuer;
use crate::issuer::keys::{IssuerKeys, KeyError, TableKeys};
use crate::jwk::Lookup;

/// The configured issuers by their exact `iss`.
#[derive(Default)]
pub(crate) struct Issuers {
    by_iss: HashMap<Box<str>, External>,
}

/// One issuer: its keys, and the decode settings of its tokens (its audience, its exact
/// `iss`, `exp` required; the manager's identity claim, leeway and size caps).
pub(crate) struct External {
    pub(crate) keys: Arc<IssuerKeys>,
    pub(crate) config: DecodeConfig,
}

impl Issuers {
    pub(crate) fn build(
        issuers: Vec<Issuer>,
        provider: &'static CryptoProvider,
        own: &DecodeConfig,
        encode_issuer: Option<&str>,
    ) -> Result<Self, ConfigError> {
        let mut by_iss = HashMap::new();
        for issuer in issuers {
            let iss: Box<str> = issuer.issuer().into();
            let clash = |why: &str| ConfigError::InvalidOption {
                option: "issuer",
                reason: format!("{iss}: {why}"),
            };
            if by_iss.contains_key(&iss) {
                return Err(clash("configured twice"));
            }
            if own.decode_issuer.as_deref() == Some(&*iss) || encode_issuer == Some(&*iss) {
                return Err(clash(
                    "is also the manager's own issuer: its tokens would have two sets of keys",
                ));
            }
            let keys = IssuerKeys::new(issuer, provider)?;
            let config = DecodeConfig {
                decode_audience: Some(keys.audience.clone()),
                decode_issuer: Some(iss.to_string()),
                require_exp: true,
                external: true,
                ..own.clone()
            };
            by_iss.insert(iss, External { keys, config });
        }
        Ok(Self { by_iss })
    }

    /// The issuer of a token, by its unverified `iss`; `None`: the manager's own keys.
    pub(super) fn route(&self, token: &str, own: &DecodeConfig) -> Option<&External> {
        if self.by_iss.is_empty() {
            return None;
        }
        self.by_iss.get(peek_issuer(token, own)?.as_str())
    }

    /// Whether a verified external token's key is still in its issuer's key set (a key the
    /// issuer withdrew stops the tokens it signed, even those in the verified-token cache).
    pub(super) fn still_published(&self, token: &DecodedToken) -> bool {
        let Some(external) = token.hot(Hot::Iss).and_then(|iss| self.by_iss.get(iss)) else {
            return false;
        };
        matches!(
            external.keys.table().lookup(token.kid(), token.algorithm),
            Lookup::Found(_)
        )
    }
}

impl External {
    /// Verification with the keys at hand, without fetching (the synchronous API).
    fn decode_now(
        &self,
        manager: &JwtManager,
        token: &str,
        now: Now,
        expiry: Expiry,
    ) -> Result<DecodedToken, JwtError> {
        let table = self.keys.table();
        if table.is_empty() {
            // Nothing fetched yet: the key is not to be had (yet), whatever the token.
            return Err(KeyError::Unavailable.into_error());
        }
        let keys = TableKeys::new(&table, self.keys.provider());
        manager
            .inner
            .verifier
            .decode_with(token, &keys, &self.config, now, expiry)
    }

    /// Verification that fetches the key set when the token's `kid` is not in it (once per
    /// cooldown; see the issuer's docs).
    pub(super) async fn decode_fetching(
        &self,
        manager: &JwtManager,
        token: &str,
        now: Now,
    ) -> Result<DecodedToken, JwtError> {
        let (kid, alg) = peek_key_id(token, &self.config)?;
        let table = self
            .keys
            .table_for(kid.as_deref(), alg)
            .await
            .map_err(|e| e.into_error())?;
        let keys = TableKeys::new(&table, self.keys.provider());
        manager
            .inner
            .verifier
            .decode_with(token, &keys, &self.config, now, Expiry::Enforce)
    }
}

impl JwtManager {
    /// `decode_token` for a token of an external issuer: `None` when the token is not one.
    pub(super) fn decode_external(
        &self,
        token: &str,
        expiry: Expiry,
    ) -> Option<Result<DecodedToken, JwtError>> {
        let external = self
            .inner
            .issuers
            .route(token, &self.inner.verifier.config)?;
        Some(external.decode_now(self, token, self.now(), expiry))
    }
}
