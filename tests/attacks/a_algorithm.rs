//! A. Algorithm and signature (cases 1–10), with jwt_tool's `-X a`, `-X n`, `-X b`, `-X k`
//! and the common-secrets list.

use base64::Engine as _;
use http::StatusCode;
use jwt_extended::{Algorithm, ConfigError, JwtManager, Key, store::MemoryStore};
use serde_json::json;

use crate::support::*;

/// Case 1 (jwt_tool `-X a`): `alg` none in four spellings, empty signature.
/// Decode level: `tokens::scenario_16_alg_none_variants`.
#[tokio::test]
async fn case_01_alg_none() {
    let (m, _) = manager();
    let app = app(&m);
    let payload = claims().to_string();
    for alg in ["none", "None", "NONE", "nOnE"] {
        let t = format!(
            "{}.{}.",
            b64(format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#)),
            b64(&payload)
        );
        rejects(&app, &t, 422, ALG_NOT_ALLOWED).await;
        // jwt_tool also keeps the original signature.
        let signed = sign_claims(&claims());
        let (_, _, sig) = segments(&signed);
        rejects(&app, &format!("{t}{sig}"), 422, ALG_NOT_ALLOWED).await;
    }
}

/// Case 2 (jwt_tool `-X n` and the playbook's broken signatures): empty signature, a
/// signature cut to 16 characters, a signature missing its last 4 characters.
#[tokio::test]
async fn case_02_null_and_broken_signature() {
    let (m, _) = manager();
    let app = app(&m);
    let t = m.create_access_token("alice").unwrap();
    let (input, sig) = t.rsplit_once('.').unwrap();
    rejects(&app, &format!("{input}."), 422, SIG_FAILED).await;
    rejects(&app, &format!("{input}.{}", &sig[..16]), 422, SIG_FAILED).await;
    // 39 characters decode only when the last one has no stray low bits (strict base64);
    // either way the answer is a 422 with PyJWT's text for the failure.
    let cut = &sig[..sig.len() - 4];
    let expected = if base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cut)
        .is_ok()
    {
        SIG_FAILED
    } else {
        "Invalid crypto padding"
    };
    rejects(&app, &format!("{input}.{cut}"), 422, expected).await;
    // A signature of the right length but all zero bits.
    rejects(
        &app,
        &format!("{input}.{}", "A".repeat(43)),
        422,
        SIG_FAILED,
    )
    .await;
}

/// The DER bytes inside a PEM.
fn pem_der(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

/// Case 3 (CVE-2015-9235, PyJWT CVE-2022-29217, jwt_tool `-X k`): the manager verifies RS256
/// with our public key; the attacker HMAC-signs with the bytes of that key in four forms.
/// Decode level: `tokens::key_confusion_hs_token_signed_with_our_public_key`.
#[tokio::test]
async fn case_03_rs_to_hs_key_confusion() {
    let clock = clock();
    let m = rs256_manager(&clock).build().unwrap();
    let app = app(&m);
    let public = pem("rsa_public");
    let der = pem_der(&public);
    let jwk = serde_json::to_string(
        &jsonwebtoken::jwk::Jwk::from_encoding_key(
            &jsonwebtoken::EncodingKey::from_rsa_pem(pem("rsa_private").as_bytes()).unwrap(),
            Algorithm::RS256,
        )
        .unwrap(),
    )
    .unwrap();
    let payload = claims().to_string();
    for secret in [
        public.as_bytes(),
        public.trim_end().as_bytes(),
        &der,
        jwk.as_bytes(),
    ] {
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            let header = json!({"alg": format!("{alg:?}"), "typ": "JWT"}).to_string();
            let t = sign_bytes(header.as_bytes(), payload.as_bytes(), secret, alg);
            rejects(&app, &t, 422, ALG_NOT_ALLOWED).await;
        }
    }
    // The public key, as PEM or DER, is refused as an HMAC secret at build time.
    for secret in [public.as_bytes(), public.trim_end().as_bytes(), &der] {
        assert!(matches!(
            JwtManager::builder().secret(secret).build(),
            Err(ConfigError::SecretLooksLikeKey)
        ));
    }
}

/// Case 4: the algorithm is pinned per key: our P-256 key (with its `kid`) answers only
/// ES256, whatever the token says.
#[tokio::test]
async fn case_04_alg_pinned_per_key() {
    let clock = clock();
    let key = Key::from_pem(Algorithm::ES256, pem("ec256_private"), pem("ec256_public"))
        .unwrap()
        .with_kid("ec-1");
    let m = JwtManager::builder()
        .key(key)
        .clock(clock.clone())
        .build()
        .unwrap();
    let app = app(&m);
    let t = m.create_access_token("alice").unwrap();
    accepts(&app, &t, "alice").await;
    let (_, payload, sig) = segments(&t);
    for alg in ["ES384", "PS256", "RS256", "EdDSA", "HS256", "ES512"] {
        let h = b64(json!({"alg": alg, "typ": "JWT", "kid": "ec-1"}).to_string());
        rejects(&app, &format!("{h}.{payload}.{sig}"), 422, ALG_NOT_ALLOWED).await;
    }
}

/// P-256's group order n, big-endian.
const P256_N: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];

/// `a - b` for 32-byte big-endian integers with `a >= b`.
fn sub_be(a: &[u8; 32], b: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let mut d = i16::from(a[i]) - i16::from(b[i]) - borrow;
        borrow = 0;
        if d < 0 {
            d += 256;
            borrow = 1;
        }
        out[i] = d as u8;
    }
    assert_eq!(borrow, 0, "a >= b");
    out
}

/// A DER INTEGER for a big-endian unsigned value.
fn der_int(v: &[u8]) -> Vec<u8> {
    let v: Vec<u8> = v.iter().copied().skip_while(|b| *b == 0).collect();
    let mut out = vec![0x02];
    let pad = v.first().is_some_and(|b| b & 0x80 != 0);
    out.push((v.len() + usize::from(pad)) as u8);
    if pad {
        out.push(0);
    }
    out.extend(v);
    out
}

/// Case 5 (CVE-2022-21449, "psychic signatures"): ES256 with r = s = 0, with r = s = n, and
/// with a valid (r, s) in DER rather than JOSE's fixed-width form.
#[tokio::test]
async fn case_05_psychic_signature() {
    let clock = clock();
    let m = es256_manager(&clock).build().unwrap();
    let app = app(&m);
    let t = m.create_access_token("alice").unwrap();
    let (input, sig) = t.rsplit_once('.').unwrap();
    let raw = unb64(sig);
    assert_eq!(raw.len(), 64);
    let n_n = [P256_N, P256_N].concat();
    let mut der = vec![0x30];
    let body = [der_int(&raw[..32]), der_int(&raw[32..])].concat();
    der.push(body.len() as u8);
    der.extend(body);
    for forged in [vec![0u8; 64], n_n, der] {
        rejects(&app, &format!("{input}.{}", b64(&forged)), 422, SIG_FAILED).await;
    }
    accepts(&app, &t, "alice").await;
}

/// Case 6: ECDSA signatures are malleable: (r, n − s) verifies like (r, s). The twin is a
/// different text with the same claims, so revocation by `jti` must catch it.
#[tokio::test]
async fn case_06_ecdsa_malleability_caught_by_jti() {
    let clock = clock();
    let store = MemoryStore::new().with_clock(clock.clone());
    let m = es256_manager(&clock)
        .revocation_store(store)
        .build()
        .unwrap();
    let app = app(&m);
    let t = m.create_access_token("alice").unwrap();
    let (input, sig) = t.rsplit_once('.').unwrap();
    let raw = unb64(sig);
    let mut twin_sig = raw[..32].to_vec();
    twin_sig.extend(sub_be(&P256_N, &raw[32..]));
    let twin = format!("{input}.{}", b64(&twin_sig));
    assert_ne!(twin, t);
    // Both verify (the documented malleability of the primitive)...
    accepts(&app, &t, "alice").await;
    accepts(&app, &twin, "alice").await;
    // ...and revoking the original refuses both, cached or not.
    m.revoke_token(&m.decode_token(&t).unwrap()).await.unwrap();
    rejects(&app, &t, 401, "Token has been revoked").await;
    rejects(&app, &twin, 401, "Token has been revoked").await;
    // Revoking through the twin works the same way.
    let t2 = m.create_access_token("bob").unwrap();
    let (input, sig) = t2.rsplit_once('.').unwrap();
    let raw = unb64(sig);
    let mut twin_sig = raw[..32].to_vec();
    twin_sig.extend(sub_be(&P256_N, &raw[32..]));
    let twin2 = format!("{input}.{}", b64(&twin_sig));
    m.revoke_token(&m.decode_token(&twin2).unwrap())
        .await
        .unwrap();
    rejects(&app, &t2, 401, "Token has been revoked").await;
}

/// Case 7: every single-byte change of a valid HS256 token, sent as a bearer token, is a
/// 422. Decode level: `tokens::every_single_byte_change_is_rejected`; random changes:
/// `tests/properties.rs`.
#[tokio::test]
async fn case_07_tamper_sweep() {
    let (m, _) = manager();
    let app = app(&m);
    let t = m.create_access_token("alice").unwrap();
    accepts(&app, &t, "alice").await;
    let bytes = t.as_bytes();
    let mut sent = 0;
    for i in 0..bytes.len() {
        for replacement in [
            b'A', b'B', b'-', b'_', b'.', b'z', b'0', b'=', b'+', b' ', 0xC3,
        ] {
            if bytes[i] == replacement {
                continue;
            }
            let mut b = b"Bearer ".to_vec();
            b.extend_from_slice(bytes);
            b[7 + i] = replacement;
            let answer = send_with(&app, raw_auth("/protected", &b), &t).await;
            assert_eq!(
                answer.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "byte {i} -> {replacement}: {answer:?}"
            );
            sent += 1;
        }
    }
    assert!(sent > 2_000);
}

/// The common JWT secrets of `tests/fixtures/jwt-common-secrets.txt` (the kind of list
/// jwt_tool and hashcat try first).
fn common_secrets() -> Vec<String> {
    fixture("jwt-common-secrets.txt")
        .lines()
        .map(str::to_owned)
        .filter(|l| !l.is_empty())
        .collect()
}

/// Case 8 (jwt_tool `-X b` and its `jwt-common.txt`): the blank secret and the common
/// secrets are refused at build (RFC 7518 §3.2); a token signed with any of them is refused.
#[tokio::test]
async fn case_08_weak_and_blank_secrets() {
    let secrets = common_secrets();
    assert!(secrets.len() >= 95, "{}", secrets.len());
    for s in std::iter::once(String::new()).chain(secrets.iter().cloned()) {
        match JwtManager::builder().secret(&s).build() {
            Err(ConfigError::WeakSecret { min: 32, len, .. }) => assert_eq!(len, s.len()),
            other => panic!("{s:?} was not refused as weak: {other:?}"),
        }
        for (alg, min) in [(Algorithm::HS384, 48), (Algorithm::HS512, 64)] {
            assert!(matches!(
                Key::hmac(alg, &s),
                Err(ConfigError::WeakSecret { min: m, .. }) if m == min
            ));
        }
    }
    // Hash-length secrets for the bigger hashes are refused below their size too.
    assert!(matches!(
        JwtManager::builder()
            .algorithm(Algorithm::HS512)
            .secret("x".repeat(63))
            .build(),
        Err(ConfigError::WeakSecret {
            min: 64,
            len: 63,
            ..
        })
    ));
    // Tokens signed with a blank or common secret never verify against a real one.
    let (m, _) = manager();
    let app = app(&m);
    let payload = claims().to_string();
    for s in std::iter::once(String::new()).chain(secrets) {
        let t = sign_bytes(
            br#"{"alg":"HS256","typ":"JWT"}"#,
            payload.as_bytes(),
            s.as_bytes(),
            Algorithm::HS256,
        );
        rejects(&app, &t, 422, SIG_FAILED).await;
    }
}

/// Case 9: an attacker's own key with our `kid` in the header.
#[tokio::test]
async fn case_09_foreign_key_with_our_kid() {
    let clock = clock();
    let m = JwtManager::builder()
        .key(Key::hmac(Algorithm::HS256, SECRET).unwrap().with_kid("k1"))
        .verification_key(
            Key::public_pem(Algorithm::RS256, pem("rsa_public"))
                .unwrap()
                .with_kid("rs-1"),
        )
        .clock(clock)
        .build()
        .unwrap();
    let app = app(&m);
    let payload = claims().to_string();
    let hs = sign_raw(
        r#"{"alg":"HS256","typ":"JWT","kid":"k1"}"#,
        &payload,
        "attacker-secret-attacker-secret-attacker!",
    );
    rejects(&app, &hs, 422, SIG_FAILED).await;
    let rs = sign_pem(
        r#"{"alg":"RS256","typ":"JWT","kid":"rs-1"}"#,
        &payload,
        &pem("attacker_rsa_private"),
        Algorithm::RS256,
    );
    rejects(&app, &rs, 422, SIG_FAILED).await;
    // The same claims under our RSA key pass: the key, not the kid, is what counts.
    let ours = sign_pem(
        r#"{"alg":"RS256","typ":"JWT","kid":"rs-1"}"#,
        &payload,
        &pem("rsa_private"),
        Algorithm::RS256,
    );
    accepts(&app, &ours, "alice").await;
}

/// Case 10: RFC 7515 Appendix A.5 (unsecured) is refused; A.1 (HS256, CRLF in the header)
/// is accepted as a positive control. Decode level: `tokens::rfc7515_a1_positive_control`.
#[tokio::test]
async fn case_10_rfc7515_vectors() {
    let (m, _) = manager();
    let a5 = "eyJhbGciOiJub25lIn0.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.";
    rejects(&app(&m), a5, 422, ALG_NOT_ALLOWED).await;

    let k =
        "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
    let m = JwtManager::builder()
        .key(Key::hmac(Algorithm::HS256, unb64(k)).unwrap())
        .identity_claim("iss")
        .clock(jwt_extended::clock::MockClock::at_unix(1_300_000_000))
        .build()
        .unwrap();
    let a1 = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    accepts(&app(&m), a1, "joe").await;
    // Its exp (2011-03-22T18:43:00Z) is honoured.
    let later = JwtManager::builder()
        .key(Key::hmac(Algorithm::HS256, unb64(k)).unwrap())
        .identity_claim("iss")
        .clock(jwt_extended::clock::MockClock::at_unix(1_300_819_380))
        .build()
        .unwrap();
    rejects(&app(&later), a1, 401, "Token has expired").await;
}
