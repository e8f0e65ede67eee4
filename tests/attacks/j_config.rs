//! J. Configuration and hygiene (cases 59, 60, 62). Case 61 (no leaks in logs) is
//! `tests/log_hygiene.rs`, which needs a process of its own for its subscriber.

use jwt_extended::{Algorithm, ConfigError, ErrorKind, JwtManager, Key};
use time::Duration;

use crate::support::*;

/// Case 59: the build-time self-test. Bad PEM, RSA under 2048 bits, an EC key on the wrong
/// curve, mismatched pairs and keys of the wrong family are configuration errors, found
/// before the first request. Decode level: `tokens::bad_keys_are_config_errors`; no crypto
/// backend at all: `.ci/run`'s `--no-default-features` step.
#[tokio::test]
async fn case_59_build_time_self_test() {
    let pair = |alg: Algorithm, private: &str, public: &str| {
        JwtManager::builder()
            .algorithm(alg)
            .private_key_pem(pem(private))
            .public_key_pem(pem(public))
            .build()
    };
    for (alg, private, public) in [
        (Algorithm::RS256, "rsa1024_private", "rsa1024_public"),
        (Algorithm::PS256, "rsa1024_private", "rsa1024_public"),
        (Algorithm::ES384, "ec256_private", "ec256_public"),
        (Algorithm::ES256, "ec384_private", "ec384_public"),
        (Algorithm::ES256, "ec256_private", "ec384_public"),
        (Algorithm::RS256, "rsa_private", "attacker_rsa_public"),
        (Algorithm::ES256, "rsa_private", "rsa_public"),
        (Algorithm::EdDSA, "ec256_private", "ec256_public"),
        (Algorithm::RS256, "ed25519_private", "ed25519_public"),
    ] {
        let result = pair(alg, private, public);
        assert!(
            matches!(
                result,
                Err(ConfigError::InvalidKey { .. } | ConfigError::AlgorithmMismatch { .. })
            ),
            "{alg:?} {private} {public}: {result:?}"
        );
    }
    for garbage in [
        "",
        "garbage",
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
    ] {
        assert!(matches!(
            Key::public_pem(Algorithm::RS256, garbage),
            Err(ConfigError::InvalidKey { .. })
        ));
    }
    assert!(matches!(
        Key::public_pem(Algorithm::RS256, pem("rsa1024_public"))
            .map(|k| JwtManager::builder().key(k).build()),
        Ok(Err(ConfigError::InvalidKey { .. })) | Err(ConfigError::InvalidKey { .. })
    ));
    assert!(matches!(
        Key::hmac(Algorithm::RS256, SECRET),
        Err(ConfigError::AlgorithmMismatch { .. })
    ));
    // A verification-only manager builds, but refuses to create tokens (a 500 for the
    // application's own call, never reachable by a client).
    let verifier = JwtManager::builder()
        .algorithm(Algorithm::RS256)
        .public_key_pem(pem("rsa_public"))
        .build()
        .unwrap();
    assert_eq!(
        verifier.create_access_token("alice").unwrap_err().kind(),
        ErrorKind::TokenCreation
    );
}

/// Case 60: expiries that overflow the calendar are creation errors, never panics. Decode
/// level: `tokens::creation_overflow_is_an_error_not_a_panic`.
#[tokio::test]
async fn case_60_creation_overflow() {
    let clock = clock();
    for d in [
        Duration::MAX,
        Duration::seconds(i64::MAX),
        Duration::seconds(i64::MAX - NOW as i64 + 1),
    ] {
        // An expiry that overflows is refused at build time (the build-time probe token
        // cannot be made), or at creation time: never a panic.
        let Ok(m) = builder(&clock).access_expires(d).refresh_expires(d).build() else {
            continue;
        };
        assert_eq!(
            m.create_access_token("a").unwrap_err().kind(),
            ErrorKind::TokenCreation,
            "{d}"
        );
        assert_eq!(
            m.create_refresh_token("a").unwrap_err().kind(),
            ErrorKind::TokenCreation,
            "{d}"
        );
        let (m, _) = manager();
        for result in [
            m.access_token("a").expires_in(d).create(),
            m.refresh_token("a").expires_in(d).create(),
        ] {
            assert_eq!(result.unwrap_err().kind(), ErrorKind::TokenCreation, "{d}");
        }
        // `fresh` is a float timestamp, not a calendar date: far futures fit, and what
        // does not fit is an error.
        if let Err(e) = m.access_token("a").fresh_for(d).create() {
            assert_eq!(e.kind(), ErrorKind::TokenCreation, "{d}");
        }
    }
    // Far-future expiries that fit are fine, and revocable (the store clamps how long it
    // keeps the revocation).
    let m = builder(&clock)
        .revocation_store(jwt_extended::store::MemoryStore::new().with_clock(clock.clone()))
        .build()
        .unwrap();
    let app = app(&m);
    for d in [
        Duration::days(365 * 10_000),
        Duration::seconds(i64::MAX / 2),
        Duration::seconds(i64::MAX - NOW as i64),
    ] {
        let t = m.access_token("a").expires_in(d).create().unwrap();
        let decoded = m.decode_token(&t).unwrap();
        m.revoke_token(&decoded).await.unwrap();
        rejects(&app, &t, 401, "Token has been revoked").await;
    }
}

/// Case 62: the advisories this crate must stay clear of. GHSA-h395-gr6q-cpjc (exp type
/// confusion) needs jsonwebtoken >= 10.3; RUSTSEC-2023-0071 (Marvin, in the `rsa` crate
/// behind the `rust_crypto` backend's RSA signing) is why aws-lc-rs is the default backend.
/// `cargo deny` (`deny.toml`, run by `.ci/run`) watches the rest.
#[test]
fn case_62_advisories_gate() {
    let lock = include_str!("../../Cargo.lock");
    let version = lock
        .split("[[package]]")
        .find(|p| p.contains("name = \"jsonwebtoken\"\n"))
        .and_then(|p| p.lines().find_map(|l| l.strip_prefix("version = \"")))
        .map(|v| v.trim_end_matches('"'))
        .expect("jsonwebtoken in Cargo.lock");
    let mut parts = version.split('.').map(|p| p.parse::<u64>().unwrap());
    let (major, minor) = (parts.next().unwrap(), parts.next().unwrap());
    assert!((major, minor) >= (10, 3), "jsonwebtoken {version}");
    let manifest = include_str!("../../Cargo.toml");
    let default = manifest
        .lines()
        .find(|l| l.starts_with("default = "))
        .expect("default features");
    assert!(default.contains("\"aws-lc-rs\""), "{default}");
    let deny = include_str!("../../deny.toml");
    assert!(deny.contains("[advisories]") && deny.contains("[licenses]"));
}

/// Found by the `config` fuzz target: the builder accepts an identity claim named like a
/// claim the crate writes itself (`type`, `exp`, `jti`, ... and `aud`/`iss` when those are
/// encoded). Every token such a manager mints then carries that name twice, and its own
/// verification refuses it ("Invalid payload string: duplicate claim"), or, with
/// `encode_nbf(false)` and the name `nbf`, reads the identity as a time claim. A manager
/// that builds must be a manager that works: `build()` should refuse these names.
#[test]
fn finding_identity_claim_named_like_a_reserved_claim() {
    let mut accepted = Vec::new();
    let builds =
        |b: jwt_extended::JwtManagerBuilder, name: &str| match b.identity_claim(name).build() {
            Err(ConfigError::InvalidOption {
                option: "identity_claim",
                ..
            }) => None,
            Err(e) => panic!("{name}: unexpected {e:?}"),
            Ok(m) => Some(m.create_access_token("alice").map(|t| {
                m.decode_token(&t)
                    .map(|_| ())
                    .map_err(|e| e.message().to_owned())
            })),
        };
    for name in [
        "type", "fresh", "exp", "iat", "nbf", "jti", "csrf", "pair", "family",
    ] {
        if let Some(r) = builds(JwtManager::builder().secret(SECRET), name) {
            accepted.push(format!("{name}: {r:?}"));
        }
    }
    let with_aud = || JwtManager::builder().secret(SECRET).encode_audience("api");
    let with_iss = || JwtManager::builder().secret(SECRET).encode_issuer("me");
    for (b, name) in [(with_aud(), "aud"), (with_iss(), "iss")] {
        if let Some(r) = builds(b, name) {
            accepted.push(format!("{name}: {r:?}"));
        }
    }
    assert!(
        accepted.is_empty(),
        "identity claims that clash with reserved claims were accepted:\n{}",
        accepted.join("\n")
    );
}

/// Found by the `config` fuzz target: `max_token_len` accepts any cap from 64 bytes, well
/// below the size of the tokens the manager mints itself (about 330 bytes for HS256 with
/// the default claims, more with RSA signatures or extra claims). Such a manager builds,
/// then refuses every token it creates ("Token is too large"). `build()` should refuse a
/// cap smaller than a token it mints (for example by measuring the probe token it already
/// signs to check the key), or the documented minimum should be raised.
#[test]
fn finding_token_cap_below_own_tokens() {
    for cap in [64, 128, 256] {
        if let Ok(m) = JwtManager::builder()
            .secret(SECRET)
            .max_token_len(cap)
            .build()
        {
            let t = m.create_access_token("alice").unwrap();
            assert!(
                m.decode_token(&t).is_ok(),
                "max_token_len({cap}) built a manager that refuses its own {}-byte tokens",
                t.len()
            );
        }
    }
}
