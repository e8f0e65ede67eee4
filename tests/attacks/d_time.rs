//! D. Time claims, leeway and the clock (cases 23–30). Decode level:
//! `tokens::time_claims_must_be_numeric`, `tokens::scenario_22_leeway`,
//! `tokens::scenario_23_24_nbf_and_iat_in_the_future`; arithmetic over every extreme:
//! `tests/properties.rs`.

use jwt_extended::store::MemoryStore;
use jwt_extended::{ConfigError, JwtManager, clock::MockClock};
use serde_json::json;
use time::Duration;

use crate::support::*;

/// [`claims`] with `name` set to raw JSON text (for numbers `json!` cannot write).
fn with_raw(name: &str, raw: &str) -> String {
    let base = claims_without(name).to_string();
    format!(r#"{},"{name}":{raw}}}"#, base.trim_end_matches('}'))
}

fn signed(payload: &str) -> String {
    sign_raw(r#"{"alg":"HS256","typ":"JWT"}"#, payload, SECRET)
}

const BAD_TYPES: &[&str] = &[
    r#""9999999999""#,
    "true",
    "null",
    "{}",
    "[]",
    r#""""#,
    "-1",
    "-0.5",
    "1e300",
    "100000000000000000000",
    "18446744073709551616",
];

/// Case 23 (CVE-2026-25537 class): a present but malformed `exp` is refused, whether or
/// not `exp` is required.
#[tokio::test]
async fn case_23_exp_type_confusion() {
    let clock = clock();
    for m in [
        builder(&clock).build().unwrap(),
        builder(&clock)
            .accept_non_expiring_tokens(true)
            .build()
            .unwrap(),
    ] {
        let app = app(&m);
        for raw in BAD_TYPES {
            rejects(
                &app,
                &signed(&with_raw("exp", raw)),
                422,
                "Expiration Time claim (exp) must be an integer.",
            )
            .await;
        }
    }
}

/// Case 24: extreme but well-formed `exp` values are accepted (fractions rounded down),
/// and revoking such a token works: no overflow in the revocation's lifetime.
#[tokio::test]
async fn case_24_exp_extremes_accepted_and_revocable() {
    let clock = clock();
    let store = MemoryStore::new().with_clock(clock.clone());
    let m = builder(&clock).revocation_store(store).build().unwrap();
    let app = app(&m);
    let cases: Vec<(String, u64)> = vec![
        (u64::MAX.to_string(), u64::MAX),
        (i64::MAX.to_string(), i64::MAX as u64),
        ("9.9e9".into(), 9_900_000_000),
        (format!("{}.5", NOW + 3600), NOW + 3600),
        ("1.8e19".into(), 18_000_000_000_000_000_000),
    ];
    for (i, (raw, exp)) in cases.into_iter().enumerate() {
        let mut payload = with_raw("exp", &raw);
        payload = payload.replace(
            "0b9e1e6c-2c61-4c7e-9a57-5a3f2b0c9d11",
            &format!("extreme-{i}"),
        );
        let t = signed(&payload);
        accepts(&app, &t, "alice").await;
        let decoded = m.decode_token(&t).unwrap();
        assert_eq!(decoded.expires_at(), Some(exp), "{raw}");
        m.revoke_token(&decoded).await.unwrap();
        rejects(&app, &t, 401, "Token has been revoked").await;
    }
    // iat and nbf at the epoch are in the past, not an overflow.
    let t = signed(&with_raw("iat", "0").replace(&format!(r#""nbf":{NOW}"#), r#""nbf":0.0"#));
    accepts(&app, &t, "alice").await;
}

/// Case 25: jsonwebtoken's default leeway (60 s) would accept a token expired 30 s ago;
/// ours is 0, as in Flask-JWT-Extended. Expired means `exp <= now` (PyJWT).
#[tokio::test]
async fn case_25_default_leeway_trap() {
    let (m, _) = manager();
    let app = app(&m);
    for exp in [NOW - 30, NOW - 1, NOW] {
        rejects(
            &app,
            &sign_claims(&claims_with("exp", json!(exp))),
            401,
            "Token has expired",
        )
        .await;
    }
    accepts(
        &app,
        &sign_claims(&claims_with("exp", json!(NOW + 1))),
        "alice",
    )
    .await;
}

/// Case 26: `nbf` is checked (jsonwebtoken ignores it by default), and must be numeric.
#[tokio::test]
async fn case_26_nbf_checked() {
    let (m, _) = manager();
    let app = app(&m);
    for nbf in [NOW + 1000, NOW + 1] {
        rejects(
            &app,
            &sign_claims(&claims_with("nbf", json!(nbf))),
            422,
            "The token is not yet valid (nbf)",
        )
        .await;
    }
    for raw in BAD_TYPES {
        rejects(
            &app,
            &signed(&with_raw("nbf", raw)),
            422,
            "Not Before claim (nbf) must be an integer.",
        )
        .await;
    }
    accepts(&app, &sign_claims(&claims_with("nbf", json!(NOW))), "alice").await;
    // A fraction just after now is rounded up: not yet valid.
    let t = signed(&with_raw("nbf", &format!("{NOW}.25")));
    rejects(&app, &t, 422, "The token is not yet valid (nbf)").await;
}

/// Case 27: `iat` is checked (jsonwebtoken never does), and must be numeric.
#[tokio::test]
async fn case_27_iat_checked() {
    let (m, _) = manager();
    let app = app(&m);
    rejects(
        &app,
        &sign_claims(&claims_with("iat", json!(NOW + 100_000))),
        422,
        "The token is not yet valid (iat)",
    )
    .await;
    for raw in BAD_TYPES {
        rejects(
            &app,
            &signed(&with_raw("iat", raw)),
            422,
            "Issued At claim (iat) must be an integer.",
        )
        .await;
    }
}

/// Case 28: the leeway is capped at build (300 s), so `now ± leeway` cannot overflow; the
/// cap's edges behave as PyJWT's comparisons do.
#[tokio::test]
async fn case_28_leeway_capped() {
    for leeway in [u64::MAX, u64::MAX / 2, 301] {
        assert!(matches!(
            JwtManager::builder().secret(SECRET).leeway(leeway).build(),
            Err(ConfigError::LeewayTooLarge(l)) if l == leeway
        ));
    }
    let env = |v: &'static str| {
        move |name: &str| match name {
            "JWT_SECRET_KEY" => Some(SECRET.to_owned()),
            "JWT_DECODE_LEEWAY" => Some(v.to_owned()),
            _ => None,
        }
    };
    let from_env = JwtManager::builder()
        .from_lookup(env("18446744073709551615"))
        .unwrap()
        .build();
    assert!(matches!(from_env, Err(ConfigError::LeewayTooLarge(_))));
    assert!(matches!(
        JwtManager::builder().from_lookup(env("99999999999999999999999")),
        Err(ConfigError::Env { .. })
    ));
    assert!(matches!(
        JwtManager::builder().from_lookup(env("-1")),
        Err(ConfigError::Env { .. })
    ));
    let clock = clock();
    let m = builder(&clock).leeway(300).build().unwrap();
    let app = app(&m);
    accepts(
        &app,
        &sign_claims(&claims_with("exp", json!(NOW - 299))),
        "alice",
    )
    .await;
    rejects(
        &app,
        &sign_claims(&claims_with("exp", json!(NOW - 300))),
        401,
        "Token has expired",
    )
    .await;
    accepts(
        &app,
        &sign_claims(&claims_with("nbf", json!(NOW + 300))),
        "alice",
    )
    .await;
    rejects(
        &app,
        &sign_claims(&claims_with("nbf", json!(NOW + 301))),
        422,
        "The token is not yet valid (nbf)",
    )
    .await;
}

/// Case 29: an issuer whose clock runs 30 s ahead. With leeway 0 its new tokens are not
/// yet valid; with leeway 60 they pass. The clock is injected: no sleeping.
#[tokio::test]
async fn case_29_cross_instance_skew() {
    let ahead = MockClock::at_unix(NOW + 30);
    let issuer = builder(&ahead).build().unwrap();
    let t = issuer.create_access_token("alice").unwrap();
    let clock = clock();
    let strict = builder(&clock).build().unwrap();
    rejects(&app(&strict), &t, 422, "The token is not yet valid (iat)").await;
    let lenient = builder(&clock).leeway(60).build().unwrap();
    accepts(&app(&lenient), &t, "alice").await;
}

/// Case 30: a token without `exp` is refused unless non-expiring tokens were asked for
/// (FJE accepts it); an expiry of zero is a configuration error, not "never expires".
#[tokio::test]
async fn case_30_no_exp() {
    let clock = clock();
    let no_exp = sign_claims(&json!({"sub": "alice"}));
    let strict = builder(&clock).build().unwrap();
    rejects(
        &app(&strict),
        &no_exp,
        422,
        "Token is missing the \"exp\" claim",
    )
    .await;
    let lenient = builder(&clock)
        .accept_non_expiring_tokens(true)
        .build()
        .unwrap();
    accepts(&app(&lenient), &no_exp, "alice").await;
    for d in [Duration::ZERO, Duration::seconds(-1), Duration::MIN] {
        assert!(matches!(
            builder(&clock).access_expires(d).build(),
            Err(ConfigError::NonPositiveExpiry(_))
        ));
        assert!(matches!(
            builder(&clock).refresh_expires(d).build(),
            Err(ConfigError::NonPositiveExpiry(_))
        ));
    }
    let zero = |name: &str| match name {
        "JWT_SECRET_KEY" => Some(SECRET.to_owned()),
        "JWT_ACCESS_TOKEN_EXPIRES" => Some("0".to_owned()),
        _ => None,
    };
    assert!(matches!(
        JwtManager::builder().from_lookup(zero),
        Err(ConfigError::Env { .. })
    ));
}
