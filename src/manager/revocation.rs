//! Revocation on the manager: revoking tokens (one, a pair, a family, every token of an
//! identity), refresh-token rotation, and [`check_revocation`](JwtManager::check_revocation),
//! the check every guard runs on every request.

use std::sync::Arc;

use serde_json::Value;

use super::JwtManager;
use crate::callbacks::Blocklist;
use crate::claims::{DecodedToken, Hot, TokenType};
use crate::error::{ErrorKind, JwtError};
use crate::store::{Check, Consumption, RevocationStore, StoreError, keep_until};
use crate::telemetry::StoreTimer;
use crate::token::TokenPair;

/// The revocation settings of a manager.
pub(super) struct RevocationConfig {
    pub(super) store: Option<Arc<dyn RevocationStore>>,
    /// `store` itself when it is a `MemoryStore`, checked without a future.
    #[cfg(feature = "memory-store")]
    pub(super) memory_store: Option<Arc<crate::store::MemoryStore>>,
    pub(super) blocklist: Option<Arc<dyn Blocklist>>,
    /// Extra seconds a revocation is kept past `exp + leeway`.
    pub(super) skew_margin: u64,
    /// Refresh rotation: `Some(overlap seconds)` when on.
    pub(super) rotation: Option<u64>,
}

/// Store id prefixes: short, so the memory store keeps `<prefix>:<uuid>` ids compactly.
const JTI: &str = "jti:";
const PAIR: &str = "pair:";
const FAMILY: &str = "fam:";

/// The claims a token is revoked by, with their store id prefixes, in the order checked.
const IDS: [(&str, Hot); 3] = [(JTI, Hot::Jti), (PAIR, Hot::Pair), (FAMILY, Hot::Family)];

/// Builds `<prefix><id>` on the stack when it fits (always, for uuid ids), so the check on
/// every request does not allocate for it.
struct IdBuf {
    buf: [u8; 64],
}

impl IdBuf {
    fn new() -> Self {
        Self { buf: [0; 64] }
    }

    fn id<'a>(&'a mut self, prefix: &str, id: &str) -> std::borrow::Cow<'a, str> {
        let len = prefix.len() + id.len();
        if len > self.buf.len() {
            return std::borrow::Cow::Owned(format!("{prefix}{id}"));
        }
        self.buf[..prefix.len()].copy_from_slice(prefix.as_bytes());
        self.buf[prefix.len()..len].copy_from_slice(id.as_bytes());
        match std::str::from_utf8(&self.buf[..len]) {
            Ok(s) => std::borrow::Cow::Borrowed(s),
            Err(_) => std::borrow::Cow::Owned(format!("{prefix}{id}")),
        }
    }
}

impl RevocationConfig {
    /// The check of an in-memory store, made at once (no future to allocate and poll, no
    /// id string to build), for `token`'s revocation ids ([`IDS`]). `None` for any other
    /// store.
    #[cfg(feature = "memory-store")]
    fn check_in_memory(&self, token: &DecodedToken, identity: Option<&str>) -> Option<Check> {
        use crate::store::canonical_uuid;
        let memory = self.memory_store.as_ref()?;
        // Read before looking: a revocation counted after this is seen by the next check.
        let revision = memory.revision();
        if token.clean_at.is(revision) {
            // Found unrevoked at this revision, and nothing was revoked since.
            return Some(Check::default());
        }
        // Parsed once per token: a cached token comes back on every request.
        let uuids = token.uuids.get_or_init(|| {
            IDS.map(|(_, claim)| {
                token
                    .hot(claim)
                    .and_then(|id| canonical_uuid(id.as_bytes()))
            })
        });
        let mut ids: [(&str, &str, Option<[u8; 16]>); 3] = [("", "", None); 3];
        let mut n = 0;
        for ((prefix, claim), uuid) in IDS.into_iter().zip(uuids) {
            if let Some(id) = token.hot(claim) {
                ids[n] = (prefix, id, *uuid);
                n += 1;
            }
        }
        let check = memory.check_joined(&ids[..n], identity);
        if !revokes(&check, token) {
            token.clean_at.set(revision);
        }
        Some(check)
    }

    #[cfg(not(feature = "memory-store"))]
    fn check_in_memory(&self, _: &DecodedToken, _: Option<&str>) -> Option<Check> {
        None
    }
}

/// The check of any store but the in-memory one, through its future, for `token`'s
/// revocation ids ([`IDS`]).
async fn check_in_store(
    store: &dyn RevocationStore,
    token: &DecodedToken,
    identity: Option<&str>,
) -> Result<Check, StoreError> {
    let mut bufs = [IdBuf::new(), IdBuf::new(), IdBuf::new()];
    let mut ids: [Option<std::borrow::Cow<'_, str>>; 3] = [None, None, None];
    for ((slot, buf), (prefix, claim)) in ids.iter_mut().zip(&mut bufs).zip(IDS) {
        *slot = token.hot(claim).map(|id| buf.id(prefix, id));
    }
    let mut refs: [&str; 3] = [""; 3];
    let mut n = 0;
    for id in ids.iter().flatten() {
        refs[n] = id;
        n += 1;
    }
    store.check(&refs[..n], identity).await
}

/// Whether a store's answer revokes `token`: one of its ids is revoked, or it was issued
/// before its identity's cut-off (a token without `iat` counts as issued before it).
fn revokes(check: &Check, token: &DecodedToken) -> bool {
    let before_cutoff = check
        .user_not_before
        .is_some_and(|nb| token.issued_at().is_none_or(|iat| iat < nb));
    check.revoked || before_cutoff
}

fn unavailable(e: StoreError) -> JwtError {
    JwtError::new(
        ErrorKind::Unavailable,
        "Token revocation status unavailable",
    )
    .with_source(e)
}

impl JwtManager {
    fn store(&self) -> Result<&dyn RevocationStore, JwtError> {
        self.inner.revocation.store.as_deref().ok_or_else(|| {
            JwtError::new(
                ErrorKind::Misconfigured,
                "no revocation store is configured (JwtManagerBuilder::revocation_store)",
            )
        })
    }

    /// How long a revocation of `token` must be kept: its `exp` plus leeway plus the skew
    /// margin.
    fn keep_until(&self, exp: Option<u64>) -> u64 {
        keep_until(
            exp,
            self.now().secs,
            self.leeway(),
            self.inner.revocation.skew_margin,
        )
    }

    /// Revokes a verified token by its `jti`, until it has expired (plus leeway and the skew
    /// margin). Every instance sharing the store refuses it from its next request on.
    ///
    /// ```
    /// use jwt_extended::{JwtManager, store::MemoryStore};
    ///
    /// # tokio_test(async {
    /// let manager = JwtManager::builder()
    ///     .secret("an-example-secret-of-at-least-32-bytes!")
    ///     .revocation_store(MemoryStore::new())
    ///     .build()?;
    /// let token = manager.create_access_token("alice")?;
    /// manager.revoke_token(&manager.decode_token(&token)?).await?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # });
    /// # fn tokio_test<F: std::future::Future>(f: F) -> F::Output {
    /// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
    /// # }
    /// ```
    pub async fn revoke_token(&self, token: &DecodedToken) -> Result<(), JwtError> {
        let store = self.store()?;
        let jti = token
            .jti()
            .ok_or_else(|| JwtError::invalid("Missing claim: jti"))?;
        let mut buf = IdBuf::new();
        store
            .revoke(&buf.id(JTI, jti), self.keep_until(token.expires_at()))
            .await
            .map_err(unavailable)
    }

    /// Revokes every token of `identity` issued before now ("log out everywhere", after a
    /// password change).
    ///
    /// `iat` has whole-second precision, so the cut-off is the end of the current second:
    /// a token issued earlier in this second is revoked (it may be the stolen one), and so is
    /// one issued later in this second. Tokens issued from the next second on are not
    /// affected; a client that logs in again right away may need to do so once more.
    pub async fn revoke_all_for_identity(&self, identity: &str) -> Result<(), JwtError> {
        let store = self.store()?;
        let create = &self.inner.issuer;
        let longest = [create.access_expires, create.refresh_expires]
            .into_iter()
            .map(|d| d.map(|d| d.whole_seconds().max(0) as u64))
            .try_fold(0u64, |acc, d| d.map(|d| acc.max(d)));
        let now = self.now().secs;
        let until = self.keep_until(longest.map(|l| now.saturating_add(l)));
        // Tokens with `iat < not_before` are refused: every token of this second included.
        let not_before = now.saturating_add(1);
        store
            .revoke_user_before(identity, not_before, until)
            .await
            .map_err(unavailable)
    }

    /// The revocation check of the guards: the store (by `jti`, pair and family ids, and the
    /// identity's "not before" time), then the blocklist callback. Fails closed.
    pub(crate) async fn check_revocation(&self, token: &Arc<DecodedToken>) -> Result<(), JwtError> {
        let revocation = &self.inner.revocation;
        let revoked = || {
            JwtError::new(ErrorKind::Revoked, "Token has been revoked").with_token(token.clone())
        };
        // An external issuer's token is checked by its `jti` when it has one (many
        // identity providers' access tokens have none); our own tokens always have one.
        let store = revocation
            .store
            .as_ref()
            .filter(|_| !(token.external && token.jti().is_none()));
        if let Some(store) = store {
            if token.jti().is_none() {
                // Revocation cannot be checked without a jti: refuse.
                return Err(JwtError::invalid("Missing claim: jti"));
            }
            let identity = token.subject();
            let timer = StoreTimer::start();
            let check = match revocation.check_in_memory(token, identity) {
                Some(check) => Ok(check),
                // Boxed: the ids it builds live across the store's future, and the guards'
                // futures, which hold this one, are moved on every request.
                None => Box::pin(check_in_store(&**store, token, identity)).await,
            };
            timer.finish(check.is_err());
            let check = check.map_err(unavailable)?;
            if revokes(&check, token) {
                return Err(revoked());
            }
        }
        if let Some(blocklist) = &revocation.blocklist {
            match blocklist.is_revoked(token).await {
                Ok(false) => {}
                Ok(true) => return Err(revoked()),
                Err(e) => {
                    return Err(JwtError::new(
                        ErrorKind::Unavailable,
                        "Token revocation status unavailable",
                    )
                    .with_source(e));
                }
            }
        }
        Ok(())
    }
}

impl JwtManager {
    /// The time until which a pair or family id must stay revoked: the longest a refresh
    /// token issued now can live.
    fn keep_pair_until(&self, token: &DecodedToken) -> u64 {
        let refresh = self.inner.issuer.refresh_expires;
        let now = self.now().secs;
        let longest = refresh.map(|d| now.saturating_add(d.whole_seconds().max(0) as u64));
        let exp = match (token.expires_at(), longest) {
            (Some(a), Some(b)) => Some(a.max(b)),
            _ => None,
        };
        self.keep_until(exp)
    }

    /// Revokes the access/refresh pair `token` belongs to (made by
    /// [`token_pair`](Self::token_pair)), or just `token` when it has no pair id.
    pub async fn revoke_pair(&self, token: &DecodedToken) -> Result<(), JwtError> {
        let Some(pair) = token.hot(Hot::Pair) else {
            return self.revoke_token(token).await;
        };
        let mut buf = IdBuf::new();
        self.store()?
            .revoke(&buf.id(PAIR, pair), self.keep_pair_until(token))
            .await
            .map_err(unavailable)
    }

    /// Revokes every token of the rotation family `token` belongs to (its login session),
    /// or just `token` when it has none.
    pub async fn revoke_family(&self, token: &DecodedToken) -> Result<(), JwtError> {
        let Some(family) = token.hot(Hot::Family) else {
            return self.revoke_pair(token).await;
        };
        let mut buf = IdBuf::new();
        self.store()?
            .revoke(&buf.id(FAMILY, family), self.keep_pair_until(token))
            .await
            .map_err(unavailable)
    }

    /// Refresh-token rotation with reuse detection: consumes `refresh` (a verified refresh
    /// token, e.g. from [`RefreshJwtRequired`](crate::RefreshJwtRequired)) exactly once and
    /// returns a new pair in the same family — a non-fresh access token and a new refresh
    /// token, both with the same application claims.
    ///
    /// Presenting a refresh token that was already used revokes the whole family (every
    /// refresh and access token minted from that login) and answers `401 Token has been
    /// revoked`, unless it is the family's most recently used token and the overlap window
    /// ([`JwtManagerBuilder::refresh_rotation`](crate::JwtManagerBuilder::refresh_rotation))
    /// has not passed, for clients that retry. Needs a revocation store; atomic in every
    /// store, so of any number of concurrent refreshes with one token, one succeeds.
    pub async fn rotate_refresh_token(
        &self,
        refresh: &DecodedToken,
    ) -> Result<TokenPair, JwtError> {
        self.rotate(refresh).await.map_err(|e| self.answered(e))
    }

    async fn rotate(&self, refresh: &DecodedToken) -> Result<TokenPair, JwtError> {
        let Some(overlap) = self.inner.revocation.rotation else {
            return Err(JwtError::new(
                ErrorKind::Misconfigured,
                "refresh rotation is off (JwtManagerBuilder::refresh_rotation)",
            ));
        };
        if refresh.token_type() != &TokenType::Refresh {
            return Err(JwtError::new(
                ErrorKind::WrongTokenType,
                "Only refresh tokens are allowed",
            ));
        }
        let store = self.store()?;
        let jti = refresh
            .jti()
            .ok_or_else(|| JwtError::invalid("Missing claim: jti"))?;
        // A refresh token minted before rotation was turned on starts its own family.
        let family = refresh
            .claim("family")
            .and_then(Value::as_str)
            .unwrap_or(jti)
            .to_owned();
        let now = self.now().secs;
        let (mut a, mut b) = (IdBuf::new(), IdBuf::new());
        let consumed = store
            .consume(
                &a.id(FAMILY, &family),
                &b.id(JTI, jti),
                now,
                self.keep_until(refresh.expires_at()),
            )
            .await
            .map_err(unavailable)?;
        let allowed = match consumed {
            Consumption::First => true,
            Consumption::Reused {
                first_used_at,
                latest,
            } => overlap > 0 && latest && now.saturating_sub(first_used_at) <= overlap,
        };
        if !allowed {
            let revoked = self.revoke_family(refresh).await;
            tracing::warn!(
                target: "jwt_extended::rotation",
                family_revoked = revoked.is_ok(),
                "refresh token reuse detected; the token family is revoked"
            );
            revoked?;
            return Err(JwtError::new(ErrorKind::Revoked, "Token has been revoked"));
        }
        let issuer = &self.inner.issuer;
        let mut builder = issuer
            .pair(refresh.identity().as_value().clone())
            .in_family(family);
        for (name, value) in issuer.application_claims(refresh) {
            builder = builder.claim(name.clone(), value);
        }
        builder.create()
    }
}
