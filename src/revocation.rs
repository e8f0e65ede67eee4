//! Revocation on the manager: revoking tokens, and the check every guard runs.

use std::sync::Arc;

use serde_json::Value;

use crate::claims::DecodedToken;
use crate::error::{ErrorKind, JwtError};
use crate::manager::JwtManager;
use crate::store::{RevocationStore, keep_until};

/// Store id prefixes: short, so the memory store keeps `<prefix>:<uuid>` ids compactly.
pub(crate) const JTI: &str = "jti:";
pub(crate) const PAIR: &str = "pair:";
pub(crate) const FAMILY: &str = "fam:";

/// Builds `<prefix><id>` on the stack when it fits (always, for uuid ids), so the check on
/// every request does not allocate for it.
pub(crate) struct IdBuf {
    buf: [u8; 64],
}

impl IdBuf {
    pub(crate) fn new() -> Self {
        Self { buf: [0; 64] }
    }

    pub(crate) fn id<'a>(&'a mut self, prefix: &str, id: &str) -> std::borrow::Cow<'a, str> {
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

fn unavailable(e: crate::store::StoreError) -> JwtError {
    JwtError::new(
        ErrorKind::Unavailable,
        "Token revocation status unavailable",
    )
    .with_source(e)
}

impl JwtManager {
    fn store(&self) -> Result<&dyn RevocationStore, JwtError> {
        self.inner().guard.store.as_deref().ok_or_else(|| {
            JwtError::new(
                ErrorKind::Misconfigured,
                "no revocation store is configured (JwtManagerBuilder::revocation_store)",
            )
        })
    }

    /// How long a revocation of `token` must be kept: its `exp` plus leeway plus the skew
    /// margin.
    pub(crate) fn keep_until(&self, exp: Option<u64>) -> u64 {
        let inner = self.inner();
        keep_until(
            exp,
            self.now().secs,
            inner.decode.leeway,
            inner.guard.skew_margin,
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
    /// password change). Tokens issued afterwards are not affected.
    pub async fn revoke_all_for_identity(&self, identity: &str) -> Result<(), JwtError> {
        let store = self.store()?;
        let create = &self.inner().create;
        let longest = [create.access_expires, create.refresh_expires]
            .into_iter()
            .map(|d| d.map(|d| d.whole_seconds().max(0) as u64))
            .try_fold(0u64, |acc, d| d.map(|d| acc.max(d)));
        let now = self.now().secs;
        let until = self.keep_until(longest.map(|l| now.saturating_add(l)));
        store
            .revoke_user_before(identity, now, until)
            .await
            .map_err(unavailable)
    }

    /// The revocation check of the guards: the store (by `jti`, pair and family ids, and the
    /// identity's "not before" time), then the blocklist callback. Fails closed.
    pub(crate) async fn check_revocation(&self, token: &Arc<DecodedToken>) -> Result<(), JwtError> {
        let guard = &self.inner().guard;
        let revoked = || {
            JwtError::new(ErrorKind::Revoked, "Token has been revoked").with_token(token.clone())
        };
        if let Some(store) = &guard.store {
            let Some(jti) = token.jti() else {
                // Revocation cannot be checked without a jti: refuse.
                return Err(JwtError::invalid("Missing claim: jti"));
            };
            let (mut a, mut b, mut c) = (IdBuf::new(), IdBuf::new(), IdBuf::new());
            let pair = token.claim("pair").and_then(Value::as_str);
            let family = token.claim("family").and_then(Value::as_str);
            let ids = [
                Some(a.id(JTI, jti)),
                pair.map(|p| b.id(PAIR, p)),
                family.map(|f| c.id(FAMILY, f)),
            ];
            let mut refs: [&str; 3] = [""; 3];
            let mut n = 0;
            for id in ids.iter().flatten() {
                refs[n] = id;
                n += 1;
            }
            let identity = token.subject();
            let check = store
                .check(&refs[..n], identity)
                .await
                .map_err(unavailable)?;
            let before_cutoff = check
                .user_not_before
                .is_some_and(|nb| token.issued_at().is_none_or(|iat| iat < nb));
            if check.revoked || before_cutoff {
                return Err(revoked());
            }
        }
        if let Some(blocklist) = &guard.blocklist {
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
