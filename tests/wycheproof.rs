//! Wycheproof's JSON Web Signature vectors through the verification path, each key pinned
//! to the algorithm its JWK names. The vectors are vendored in `tests/vectors/wycheproof/`
//! (Apache-2.0, with their license) and compiled into this test: without them it does not
//! build, so it can never skip.

use jwt_extended::{Algorithm, JwtManager, Key, clock::MockClock};
use serde_json::Value;

/// Test cases whose expected result we deliberately do not follow, with the reason.
const EXCEPTIONS: &[(u64, &str)] = &[
    (
        346,
        "PS384 token under a key whose JWK says PS256: refused under per-key pinning",
    ),
    (
        350,
        "PS384 token under a key whose JWK says PS256: refused under per-key pinning",
    ),
    (
        367,
        "labelled invalid although untouched; its corrupted twins are labelled valid upstream",
    ),
    (
        370,
        "labelled invalid although untouched; its corrupted twins are labelled valid upstream",
    ),
    (
        372,
        "a corrupted token labelled valid upstream; refusing it is correct",
    ),
    (
        373,
        "a corrupted token labelled valid upstream; refusing it is correct",
    ),
];

/// The vectors, compiled in: a checkout without them fails to build this test.
const VECTORS: &str = include_str!("vectors/wycheproof/json_web_signature_test.json");

fn vectors() -> Value {
    serde_json::from_str(VECTORS).expect("the vendored Wycheproof vectors are valid JSON")
}

/// The signature checked out: the token decoded, or failed only at the claims stage
/// (Wycheproof payloads are not JWT claim sets).
fn signature_accepted(r: &Result<jwt_extended::DecodedToken, jwt_extended::JwtError>) -> bool {
    match r {
        Ok(_) => true,
        Err(e) => {
            e.message().starts_with("Invalid payload string")
                || e.message().starts_with("Missing claim")
        }
    }
}

#[test]
fn wycheproof_jws_vectors() {
    let doc = vectors();
    let clock = MockClock::at_unix(1_700_000_000);
    let (mut run, mut skipped_groups) = (0, Vec::new());
    for group in doc["testGroups"].as_array().unwrap() {
        let jwk = group
            .get("public")
            .or_else(|| group.get("private"))
            .unwrap();
        let Some(alg) = jwk["alg"].as_str() else {
            skipped_groups.push(format!(
                "{}: the JWK names no algorithm to pin",
                group["comment"]
            ));
            continue;
        };
        let Ok(alg) = alg.parse::<Algorithm>() else {
            skipped_groups.push(format!("{alg}: not supported by jsonwebtoken"));
            continue;
        };
        if jwk.get("use").and_then(Value::as_str) == Some("enc") {
            skipped_groups.push("an encryption key".into());
            continue;
        }
        let mut jwk_public = jwk.clone();
        for private in ["d", "p", "q", "dp", "dq", "qi"] {
            if jwk["kty"] != "oct" {
                jwk_public.as_object_mut().unwrap().remove(private);
            }
        }
        let key = Key::from_jwk(alg, &jwk_public.to_string())
            .unwrap_or_else(|e| panic!("group {}: {e}", group["comment"]));
        let manager = JwtManager::builder()
            .key(key)
            .accept_non_expiring_tokens(true)
            .clock(clock.clone())
            .build()
            .unwrap();
        for case in group["tests"].as_array().unwrap() {
            let id = case["tcId"].as_u64().unwrap();
            let Some(jws) = case["jws"].as_str() else {
                continue;
            };
            let accepted = signature_accepted(&manager.decode_token(jws));
            let expected = case["result"] == "valid";
            if EXCEPTIONS.iter().any(|(x, _)| *x == id) {
                assert_ne!(
                    accepted, expected,
                    "tc {id}: a recorded exception now agrees with the label"
                );
                continue;
            }
            assert_eq!(
                accepted,
                expected,
                "tc {id} ({}): {}",
                case["comment"],
                jws.len()
            );
            run += 1;
        }
    }
    assert!(
        run > 350,
        "only {run} vectors ran; skipped: {skipped_groups:?}"
    );
    eprintln!(
        "wycheproof: {run} vectors checked, {} exceptions, groups skipped: {skipped_groups:?}",
        EXCEPTIONS.len()
    );
}
