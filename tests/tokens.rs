//! Token creation and verification without HTTP: Flask-JWT-Extended's scenarios
//! (reference §5.1 lines 12–38, 69–70) and the decode-level security cases.

mod common;

use std::time::Duration as StdDuration;

use common::*;
use jwt_extended::{
    Algorithm, ConfigError, ErrorKind, Freshness, JwtError, JwtManager, Key, TokenType,
    clock::Clock,
};
use serde_json::{Value, json};
use time::Duration;

fn err(r: Result<impl std::fmt::Debug, JwtError>) -> (ErrorKind, String) {
    let e = r.expect_err("expected an error");
    (e.kind(), e.message().to_owned())
}

fn invalid(r: Result<impl std::fmt::Debug, JwtError>, msg: &str) {
    let (kind, m) = err(r);
    assert_eq!((kind, m.as_str()), (ErrorKind::InvalidToken, msg));
}

fn base_claims() -> Value {
    json!({"fresh": false, "iat": NOW, "jti": "j1", "type": "access", "sub": "alice", "nbf": NOW, "exp": NOW + 900})
}

fn with(mut v: Value, key: &str, value: Value) -> Value {
    v[key] = value;
    v
}

fn without(mut v: Value, key: &str) -> Value {
    v.as_object_mut().unwrap().remove(key);
    v
}

// ---- creation: claim set, order, defaults -------------------------------------------

#[test]
fn access_token_claims_in_flask_order() {
    let (m, _) = manager();
    let token = m.create_access_token("alice").unwrap();
    let payload = payload_text(&token);
    let keys: Vec<String> = serde_json::from_str::<serde_json::Map<String, Value>>(&payload)
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(keys.len(), 8);
    // serde_json's map is sorted; check the raw text for the order instead.
    let order = [
        "\"fresh\"",
        "\"iat\"",
        "\"jti\"",
        "\"type\"",
        "\"sub\"",
        "\"nbf\"",
        "\"csrf\"",
        "\"exp\"",
    ];
    let positions: Vec<usize> = order.iter().map(|k| payload.find(k).expect(k)).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{payload}");
    let claims: Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(claims["fresh"], json!(false));
    assert_eq!(claims["type"], json!("access"));
    assert_eq!(claims["iat"], json!(NOW));
    assert_eq!(claims["nbf"], json!(NOW));
    assert_eq!(claims["exp"], json!(NOW + 900));
    uuid::Uuid::parse_str(claims["jti"].as_str().unwrap()).unwrap();
    uuid::Uuid::parse_str(claims["csrf"].as_str().unwrap()).unwrap();
    assert_eq!(header_text(&token), r#"{"alg":"HS256","typ":"JWT"}"#);
}

#[test]
fn refresh_token_lasts_30_days_and_is_never_fresh() {
    let (m, _) = manager();
    let t = m.create_refresh_token("alice").unwrap();
    let d = m.decode_token(&t).unwrap();
    assert_eq!(d.token_type(), &TokenType::Refresh);
    assert_eq!(d.expires_at(), Some(NOW + 2_592_000));
    assert_eq!(d.fresh(), Freshness::Bool(false));
    let e = m.refresh_token("alice").fresh(true).create().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TokenCreation);
}

#[test]
fn fresh_options() {
    let (m, clock) = manager();
    let t = m.access_token("a").fresh(true).create().unwrap();
    assert_eq!(m.decode_token(&t).unwrap().fresh(), Freshness::Bool(true));

    clock.advance(StdDuration::from_millis(250));
    let t = m
        .access_token("a")
        .fresh_for(Duration::minutes(5))
        .create()
        .unwrap();
    let claims: Value = serde_json::from_str(&payload_text(&t)).unwrap();
    assert_eq!(claims["fresh"], json!(NOW as f64 + 300.25));
    let fresh = m.decode_token(&t).unwrap().fresh();
    assert!(fresh.is_fresh_at(clock.now().as_secs_f64()));
    assert!(!fresh.is_fresh_at(clock.now().as_secs_f64() + 301.0));

    let until = time::OffsetDateTime::from_unix_timestamp(NOW as i64 + 60).unwrap();
    let t = m.access_token("a").fresh_until(until).create().unwrap();
    assert_eq!(
        m.decode_token(&t).unwrap().fresh(),
        Freshness::Until((NOW + 60) as f64)
    );
}

#[test]
fn per_token_expiry_and_int_config() {
    let clock = clock();
    let m = builder(&clock)
        .access_expires(Duration::seconds(300))
        .build()
        .unwrap();
    let d = m
        .decode_token(&m.create_access_token("a").unwrap())
        .unwrap();
    assert_eq!(d.expires_at().unwrap() - d.issued_at().unwrap(), 300);
    let t = m
        .access_token("a")
        .expires_in(Duration::hours(2))
        .create()
        .unwrap();
    assert_eq!(m.decode_token(&t).unwrap().expires_at(), Some(NOW + 7200));
    // A negative expiry makes an already expired token.
    let t = m
        .access_token("a")
        .expires_in(Duration::seconds(-1))
        .create()
        .unwrap();
    assert!(m.decode_token(&t).unwrap_err().is_expired());
}

#[test]
fn non_expiring_tokens_must_be_asked_for() {
    let (m, clock) = manager();
    let e = m.access_token("a").never_expires().create().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TokenCreation);
    // A token without exp from elsewhere is refused by default...
    let t = sign_claims(&without(base_claims(), "exp"));
    invalid(m.decode_token(&t), "Token is missing the \"exp\" claim");
    // ...and accepted forever once configured (FJE scenario 25).
    let m = builder(&clock).access_never_expires().build().unwrap();
    let t = m.create_access_token("a").unwrap();
    assert!(!payload_text(&t).contains("\"exp\""));
    clock.advance(StdDuration::from_secs(100 * 365 * 86400));
    assert!(m.decode_token(&t).is_ok());
    let m = builder(&clock)
        .accept_non_expiring_tokens(true)
        .build()
        .unwrap();
    assert!(m.access_token("a").never_expires().create().is_ok());
}

#[test]
fn zero_or_negative_expiry_is_a_config_error() {
    let clock = clock();
    for d in [Duration::ZERO, Duration::seconds(-5)] {
        assert!(matches!(
            builder(&clock).access_expires(d).build(),
            Err(ConfigError::NonPositiveExpiry(_))
        ));
        assert!(matches!(
            builder(&clock).refresh_expires(d).build(),
            Err(ConfigError::NonPositiveExpiry(_))
        ));
    }
}

#[test]
fn creation_overflow_is_an_error_not_a_panic() {
    let (m, _) = manager();
    for d in [Duration::MAX, Duration::MIN, Duration::seconds(i64::MAX)] {
        assert_eq!(
            m.access_token("a")
                .expires_in(d)
                .create()
                .unwrap_err()
                .kind(),
            ErrorKind::TokenCreation
        );
        assert_eq!(
            m.access_token("a")
                .fresh_for(d)
                .create()
                .map(|_| ())
                .err()
                .map(|e| e.kind())
                .unwrap_or(ErrorKind::TokenCreation),
            ErrorKind::TokenCreation
        );
    }
}

#[test]
fn reserved_claims_cannot_be_overridden() {
    let (m, _) = manager();
    for name in ["type", "fresh", "exp", "iat", "nbf", "jti", "csrf", "sub"] {
        let e = m.access_token("a").claim(name, "x").create().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TokenCreation, "{name}");
    }
    let clock = clock();
    let m = builder(&clock)
        .additional_claims(|_: &Value| {
            serde_json::Map::from_iter([("type".to_string(), json!("refresh"))])
        })
        .build()
        .unwrap();
    assert_eq!(
        m.create_access_token("a").unwrap_err().kind(),
        ErrorKind::TokenCreation
    );
}

#[test]
fn extras_loader_and_argument_merge_argument_wins() {
    let clock = clock();
    let m = builder(&clock)
        .additional_claims(|id: &Value| {
            serde_json::Map::from_iter([
                ("role".to_string(), json!("user")),
                ("who".to_string(), id.clone()),
            ])
        })
        .additional_headers(|_: &Value| {
            serde_json::Map::from_iter([("kid".to_string(), json!("from-loader"))])
        })
        .build()
        .unwrap();
    let t = m
        .access_token("bob")
        .claim("role", "admin")
        .header("kid", "from-arg")
        .create()
        .unwrap();
    let d = m.decode_token(&t).unwrap();
    assert_eq!(d.claim("role"), Some(&json!("admin")));
    assert_eq!(d.claim("who"), Some(&json!("bob")));
    assert_eq!(d.kid(), Some("from-arg"));
    // Header keys are sorted, as PyJWT writes them.
    assert_eq!(
        header_text(&t),
        r#"{"alg":"HS256","kid":"from-arg","typ":"JWT"}"#
    );
    assert_eq!(
        m.access_token("a")
            .header("alg", "none")
            .create()
            .unwrap_err()
            .kind(),
        ErrorKind::TokenCreation
    );
    assert_eq!(
        m.access_token("a")
            .header("crit", ["b64"])
            .create()
            .unwrap_err()
            .kind(),
        ErrorKind::TokenCreation
    );
}

#[test]
fn typed_claims() {
    #[derive(serde::Deserialize)]
    struct Claims {
        sub: String,
        roles: Vec<String>,
    }
    let (m, _) = manager();
    let t = m
        .access_token("a")
        .claim("roles", ["x", "y"])
        .create()
        .unwrap();
    let c: Claims = m.decode_token(&t).unwrap().claims_as().unwrap();
    assert_eq!((c.sub.as_str(), c.roles.len()), ("a", 2));
}

#[test]
fn csrf_claim_only_when_protection_is_on() {
    let clock = clock();
    let m = builder(&clock).csrf_protect(false).build().unwrap();
    let t = m.create_access_token("a").unwrap();
    assert!(m.decode_token(&t).unwrap().csrf().is_none());
}

#[test]
fn audience_and_issuer_are_encoded() {
    let clock = clock();
    let m = builder(&clock)
        .encode_audience("api")
        .encode_issuer("me")
        .decode_audience(["api"])
        .decode_issuer("me")
        .build()
        .unwrap();
    let t = m.create_access_token("a").unwrap();
    let p = payload_text(&t);
    assert!(p.find("\"aud\"").unwrap() < p.find("\"iss\"").unwrap());
    assert!(p.find("\"iss\"").unwrap() < p.find("\"exp\"").unwrap());
    assert!(m.decode_token(&t).is_ok());
    let m = builder(&clock)
        .encode_audiences(["a", "b"])
        .build()
        .unwrap();
    let t = m.create_access_token("a").unwrap();
    assert_eq!(
        m.decode_token(&t).unwrap().claim("aud"),
        Some(&json!(["a", "b"]))
    );
}

// ---- decoding: shape and signature (scenarios 12–16) ---------------------------------

#[test]
fn scenario_12_not_enough_segments() {
    let (m, _) = manager();
    for t in ["xxx", "", "a.b", "a"] {
        invalid(m.decode_token(t), "Not enough segments");
    }
    invalid(m.decode_token("a.b.c.d"), "Too many segments");
    invalid(m.decode_token("a.b.c.d.e"), "Too many segments");
}

#[test]
fn scenario_13_invalid_header_padding() {
    let (m, _) = manager();
    invalid(
        m.decode_token("aaaaa.bbbbb.ccccc"),
        "Invalid header padding",
    );
    invalid(m.decode_token(".."), "Invalid header string: invalid JSON");
}

#[test]
fn scenario_14_tampered_or_empty_signature() {
    let (m, _) = manager();
    let t = m.create_access_token("a").unwrap();
    let (input, sig) = t.rsplit_once('.').unwrap();
    invalid(
        m.decode_token(&format!("{input}.")),
        "Signature verification failed",
    );
    invalid(
        m.decode_token(&format!("{input}.{}", &sig[..16])),
        "Signature verification failed",
    );
    let other = sign_raw(
        r#"{"alg":"HS256","typ":"JWT"}"#,
        &payload_text(&t),
        "another-secret-another-secret-another",
    );
    invalid(m.decode_token(&other), "Signature verification failed");
    // Tampered payload with the original signature.
    let tampered = format!(
        "{}.{}.{sig}",
        input.split('.').next().unwrap(),
        b64(payload_text(&t).replace("\"a\"", "\"b\""))
    );
    invalid(m.decode_token(&tampered), "Signature verification failed");
    // Padding or a non-url-safe alphabet in the signature.
    invalid(m.decode_token(&format!("{t}=")), "Invalid crypto padding");
}

#[test]
fn scenario_15_other_hs_algorithm_not_allowed() {
    let clock = clock();
    let long = "x".repeat(64);
    let m512 = builder(&clock)
        .algorithm(Algorithm::HS512)
        .secret(&long)
        .build()
        .unwrap();
    let m256 = builder(&clock).secret(&long).build().unwrap();
    let t = m256.create_access_token("a").unwrap();
    invalid(
        m512.decode_token(&t),
        "The specified alg value is not allowed",
    );
    // With decode_algorithms, the same secret accepts both (JWT_DECODE_ALGORITHMS).
    let both = builder(&clock)
        .algorithm(Algorithm::HS512)
        .secret(&long)
        .decode_algorithms([Algorithm::HS256])
        .build()
        .unwrap();
    assert!(both.decode_token(&t).is_ok());
    assert!(matches!(
        builder(&clock)
            .decode_algorithms([Algorithm::RS256])
            .build(),
        Err(ConfigError::AlgorithmMismatch { .. })
    ));
}

#[test]
fn scenario_16_alg_none_variants() {
    let (m, _) = manager();
    let payload = base_claims().to_string();
    for alg in ["none", "None", "NONE", "nOnE", "hs256", "HS257", ""] {
        let t = format!(
            "{}.{}.",
            b64(format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#)),
            b64(&payload)
        );
        invalid(m.decode_token(&t), "The specified alg value is not allowed");
    }
    let t = format!("{}.{}.", b64(r#"{"typ":"JWT"}"#), b64(&payload));
    invalid(m.decode_token(&t), "Algorithm not specified");
    let t = format!("{}.{}.", b64(r#"{"alg":5}"#), b64(&payload));
    invalid(m.decode_token(&t), "The specified alg value is not allowed");
    // RFC 7515 A.5.
    let a5 = "eyJhbGciOiJub25lIn0.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.";
    invalid(m.decode_token(a5), "The specified alg value is not allowed");
}

// ---- decoding: claims (scenarios 17–30, 35) -----------------------------------------

#[test]
fn scenario_17_18_identity_claim_required() {
    let (m, clock) = manager();
    invalid(
        m.decode_token(&sign_claims(&without(base_claims(), "sub"))),
        "Missing claim: sub",
    );
    let m = builder(&clock).identity_claim("banana").build().unwrap();
    invalid(
        m.decode_token(&sign_claims(&base_claims())),
        "Missing claim: banana",
    );
    let t = m.create_access_token("a").unwrap();
    let d = m.decode_token(&t).unwrap();
    assert_eq!(d.subject(), Some("a"));
    assert!(d.claim("sub").is_none());
}

#[test]
fn scenario_19_20_subject_must_be_a_string() {
    let (m, clock) = manager();
    let t = sign_claims(&with(base_claims(), "sub", json!(1234)));
    invalid(m.decode_token(&t), "Subject must be a string");
    let lax = builder(&clock).verify_sub(false).build().unwrap();
    assert_eq!(lax.decode_token(&t).unwrap().identity(), &json!(1234));
    // The manager's own integer identities go in as strings, so it accepts its tokens.
    let own = m.create_access_token(1234).unwrap();
    assert_eq!(
        m.decode_token(&own).unwrap().claim("sub"),
        Some(&json!("1234"))
    );
    for sub in [json!(5), json!({}), json!(null), json!(["a"])] {
        invalid(
            m.decode_token(&sign_claims(&with(base_claims(), "sub", sub))),
            "Subject must be a string",
        );
    }
    // Empty and odd strings pass verbatim (FJE).
    for sub in ["", "adm\u{0}in", "ａｄｍｉｎ"] {
        let d = m
            .decode_token(&sign_claims(&with(base_claims(), "sub", json!(sub))))
            .unwrap();
        assert_eq!(d.subject(), Some(sub));
    }
}

#[test]
fn scenario_21_expired_token_keeps_its_data() {
    let (m, clock) = manager();
    let t = m.create_access_token("a").unwrap();
    clock.advance(StdDuration::from_secs(899));
    assert!(m.decode_token(&t).is_ok());
    clock.advance(StdDuration::from_secs(1));
    let e = m.decode_token(&t).unwrap_err();
    assert_eq!(
        (e.kind(), e.message(), e.status().as_u16()),
        (ErrorKind::Expired, "Token has expired", 401)
    );
    let data = e.token().expect("expired error carries the token");
    assert_eq!(data.header()["alg"], "HS256");
    assert_eq!(data.token_type(), &TokenType::Access);
    assert!(m.decode_token_allow_expired(&t).is_ok());
}

#[test]
fn scenario_22_leeway() {
    let clock = clock();
    let m = builder(&clock).leeway(10).build().unwrap();
    let expired_5 = sign_claims(&with(base_claims(), "exp", json!(NOW - 5)));
    let expired_15 = sign_claims(&with(base_claims(), "exp", json!(NOW - 15)));
    assert!(m.decode_token(&expired_5).is_ok());
    assert!(m.decode_token(&expired_15).unwrap_err().is_expired());
    // Default leeway is 0 (jsonwebtoken's default of 60 would accept this).
    let strict = builder(&clock).build().unwrap();
    assert!(
        strict
            .decode_token(&sign_claims(&with(base_claims(), "exp", json!(NOW - 30))))
            .unwrap_err()
            .is_expired()
    );
    assert!(matches!(
        builder(&clock).leeway(301).build(),
        Err(ConfigError::LeewayTooLarge(301))
    ));
    assert!(matches!(
        builder(&clock).leeway(u64::MAX).build(),
        Err(ConfigError::LeewayTooLarge(_))
    ));
}

#[test]
fn exp_boundary_follows_pyjwt() {
    // PyJWT: expired when exp <= now - leeway.
    let (m, _) = manager();
    assert!(
        m.decode_token(&sign_claims(&with(base_claims(), "exp", json!(NOW))))
            .unwrap_err()
            .is_expired()
    );
    assert!(
        m.decode_token(&sign_claims(&with(base_claims(), "exp", json!(NOW + 1))))
            .is_ok()
    );
}

#[test]
fn scenario_23_24_nbf_and_iat_in_the_future() {
    let (m, clock) = manager();
    invalid(
        m.decode_token(&sign_claims(&with(base_claims(), "nbf", json!(NOW + 60)))),
        "The token is not yet valid (nbf)",
    );
    invalid(
        m.decode_token(&sign_claims(&with(
            base_claims(),
            "iat",
            json!(NOW + 100_000),
        ))),
        "The token is not yet valid (iat)",
    );
    // Cross-instance skew: the issuer's clock is 30 s ahead.
    let ahead = with(
        with(base_claims(), "iat", json!(NOW + 30)),
        "nbf",
        json!(NOW + 30),
    );
    invalid(
        m.decode_token(&sign_claims(&ahead)),
        "The token is not yet valid (iat)",
    );
    let lenient = builder(&clock).leeway(60).build().unwrap();
    assert!(lenient.decode_token(&sign_claims(&ahead)).is_ok());
}

#[test]
fn time_claims_must_be_numeric() {
    let (m, _) = manager();
    for bad in [
        json!("9999999999"),
        json!(true),
        json!(null),
        json!({}),
        json!(-1),
        json!(1e300),
    ] {
        invalid(
            m.decode_token(&sign_claims(&with(base_claims(), "exp", bad.clone()))),
            "Expiration Time claim (exp) must be an integer.",
        );
        invalid(
            m.decode_token(&sign_claims(&with(base_claims(), "iat", bad.clone()))),
            "Issued At claim (iat) must be an integer.",
        );
        invalid(
            m.decode_token(&sign_claims(&with(base_claims(), "nbf", bad))),
            "Not Before claim (nbf) must be an integer.",
        );
    }
    let t = sign_raw(
        r#"{"alg":"HS256"}"#,
        &format!(r#"{{"sub":"a","exp":100000000000000000000,"iat":{NOW}}}"#),
        SECRET,
    );
    invalid(
        m.decode_token(&t),
        "Expiration Time claim (exp) must be an integer.",
    );
    // Extremes that fit are accepted (floats rounded toward the safe side).
    for exp in [
        json!(u64::MAX),
        json!(i64::MAX),
        json!(9.9e9),
        json!(NOW as f64 + 3600.5),
    ] {
        assert!(
            m.decode_token(&sign_claims(&with(base_claims(), "exp", exp)))
                .is_ok()
        );
    }
    // A fractional exp just past now is floored: expired.
    assert!(
        m.decode_token(&sign_claims(&with(
            base_claims(),
            "exp",
            json!(NOW as f64 + 0.5)
        )))
        .unwrap_err()
        .is_expired()
    );
}

#[test]
fn scenario_27_to_30_audience_and_issuer() {
    let clock = clock();
    let m = builder(&clock).decode_audience(["api"]).build().unwrap();
    invalid(
        m.decode_token(&sign_claims(&base_claims())),
        "Token is missing the \"aud\" claim",
    );
    invalid(
        m.decode_token(&sign_claims(&with(base_claims(), "aud", json!("other")))),
        "Audience doesn't match",
    );
    for bad in [json!(5), json!(null), json!(["api", 5]), json!({})] {
        invalid(
            m.decode_token(&sign_claims(&with(base_claims(), "aud", bad))),
            "Invalid claim format in token",
        );
    }
    let m = builder(&clock)
        .decode_audience(["foo", "bar"])
        .build()
        .unwrap();
    assert!(
        m.decode_token(&sign_claims(&with(base_claims(), "aud", json!("foo"))))
            .is_ok()
    );
    assert!(
        m.decode_token(&sign_claims(&with(
            base_claims(),
            "aud",
            json!(["foo", "bar", "baz"])
        )))
        .is_ok()
    );
    // No decode audience: any aud passes (FJE).
    let m = builder(&clock).build().unwrap();
    assert!(
        m.decode_token(&sign_claims(&with(base_claims(), "aud", json!("anything"))))
            .is_ok()
    );

    let m = builder(&clock).decode_issuer("me").build().unwrap();
    invalid(
        m.decode_token(&sign_claims(&base_claims())),
        "Token is missing the \"iss\" claim",
    );
    for bad in [
        json!("evil"),
        json!(5),
        json!(["evil", "me"]),
        json!(["me"]),
    ] {
        invalid(
            m.decode_token(&sign_claims(&with(base_claims(), "iss", bad))),
            "Invalid issuer",
        );
    }
    assert!(
        m.decode_token(&sign_claims(&with(base_claims(), "iss", json!("me"))))
            .is_ok()
    );
}

#[test]
fn scenario_34_35_type_fresh_jti_defaults() {
    let (m, clock) = manager();
    let d = m
        .decode_token(&sign_claims(&json!({"sub": "a", "exp": NOW + 10})))
        .unwrap();
    assert_eq!(d.token_type(), &TokenType::Access);
    assert_eq!(d.fresh(), Freshness::Bool(false));
    assert_eq!(d.jti(), None);
    let d = m
        .decode_token(&sign_claims(&with(base_claims(), "type", json!("app"))))
        .unwrap();
    assert_eq!(d.token_type(), &TokenType::Other("app".into()));
    assert!(d.token_type().is_access());
    invalid(
        m.decode_token(&sign_claims(&with(base_claims(), "jti", json!(5)))),
        "JWT ID must be a string",
    );
    invalid(
        m.decode_token(&sign_claims(&with(base_claims(), "type", json!(5)))),
        "Invalid claim format: type",
    );
    for (fresh, expect) in [
        (json!("true"), Freshness::Invalid),
        (json!(null), Freshness::Invalid),
        (json!(1), Freshness::Until(1.0)),
    ] {
        let d = m
            .decode_token(&sign_claims(&with(base_claims(), "fresh", fresh)))
            .unwrap();
        assert_eq!(d.fresh(), expect);
        assert!(!d.fresh().is_fresh_at(clock.now().as_secs_f64()));
    }
}

// ---- decoding: header and shape hardening ---------------------------------------------

#[test]
fn crit_is_refused() {
    let (m, _) = manager();
    for h in [
        r#"{"alg":"HS256","crit":["exp"]}"#,
        r#"{"alg":"HS256","crit":["b64"],"b64":false}"#,
        r#"{"alg":"HS256","crit":[]}"#,
    ] {
        invalid(
            m.decode_token(&sign_raw(h, &base_claims().to_string(), SECRET)),
            "Unsupported critical header parameter (crit)",
        );
    }
}

#[test]
fn duplicate_members_are_refused() {
    let (m, _) = manager();
    let t = sign_raw(
        r#"{"alg":"HS256","alg":"HS256"}"#,
        &base_claims().to_string(),
        SECRET,
    );
    invalid(
        m.decode_token(&t),
        "Invalid header string: duplicate header parameter",
    );
    let t = sign_raw(
        r#"{"alg":"none","alg":"HS256"}"#,
        &base_claims().to_string(),
        SECRET,
    );
    invalid(
        m.decode_token(&t),
        "Invalid header string: duplicate header parameter",
    );
    for dup in ["exp", "type", "fresh", "jti", "csrf", "sub", "custom"] {
        let claims = without(base_claims(), dup).to_string();
        let payload = format!(
            r#"{},"{dup}":"x","{dup}":"y"}}"#,
            claims.trim_end_matches('}')
        );
        let t = sign_raw(r#"{"alg":"HS256"}"#, &payload, SECRET);
        invalid(
            m.decode_token(&t),
            "Invalid payload string: duplicate claim",
        );
    }
}

#[test]
fn payload_must_be_a_json_object() {
    let (m, _) = manager();
    for p in ["[1]", "\"x\"", "null", "123"] {
        invalid(
            m.decode_token(&sign_raw(r#"{"alg":"HS256"}"#, p, SECRET)),
            "Invalid payload string: must be a json object",
        );
    }
    for p in ["\u{feff}{}", "{} x", "{\"a\":", "not json"] {
        invalid(
            m.decode_token(&sign_raw(r#"{"alg":"HS256"}"#, p, SECRET)),
            "Invalid payload string: invalid JSON",
        );
    }
    let bomb = format!("{{\"a\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
    let (m2, _) = {
        let c = clock();
        (builder(&c).max_token_len(1024 * 1024).build().unwrap(), c)
    };
    invalid(
        m2.decode_token(&sign_raw(r#"{"alg":"HS256"}"#, &bomb, SECRET)),
        "Invalid payload string: invalid JSON",
    );
    for h in ["[]", "\"HS256\""] {
        invalid(
            m.decode_token(&sign_raw(h, "{}", SECRET)),
            "Invalid header string: must be a json object",
        );
    }
    let t = sign_raw(
        r#"{"alg":"HS256","typ":5}"#,
        &base_claims().to_string(),
        SECRET,
    );
    invalid(
        m.decode_token(&t),
        "Invalid header string: kid, typ and cty must be strings",
    );
}

#[test]
fn oversized_tokens_are_refused_before_parsing() {
    let (m, _) = manager();
    let huge = format!("{}.{}.sig", "a".repeat(10_000), "b".repeat(10));
    invalid(m.decode_token(&huge), "Token is too large");
    let mut header = String::from("{\"alg\":\"HS256\"");
    for i in 0..200 {
        header.push_str(&format!(",\"k{i}\":1"));
    }
    header.push('}');
    let t = sign_raw(&header, &base_claims().to_string(), SECRET);
    invalid(m.decode_token(&t), "Token header is too large");
}

#[test]
fn base64_must_be_canonical() {
    let (m, _) = manager();
    let t = m.create_access_token("a").unwrap();
    let (h, rest) = t.split_once('.').unwrap();
    invalid(
        m.decode_token(&format!("{h}=.{rest}")),
        "Invalid header padding",
    );
    invalid(m.decode_token(&format!(" {t}")), "Invalid header padding");
    invalid(m.decode_token(&format!("{t}\n")), "Invalid crypto padding");
    let (input, sig) = t.rsplit_once('.').unwrap();
    invalid(
        m.decode_token(&format!(
            "{input}.{}",
            sig.replace('-', "+").replace('_', "/") + "+"
        )),
        "Invalid crypto padding",
    );
}

#[test]
fn every_single_byte_change_is_rejected() {
    let (m, _) = manager();
    let t = m.create_access_token("alice").unwrap();
    let bytes = t.as_bytes();
    for i in 0..bytes.len() {
        for replacement in [b'A', b'-', b'.', b'z', 0u8] {
            if bytes[i] == replacement {
                continue;
            }
            let mut b = bytes.to_vec();
            b[i] = replacement;
            let s = String::from_utf8(b).unwrap();
            let e = m
                .decode_token(&s)
                .expect_err(&format!("byte {i} -> {replacement}"));
            assert_eq!(e.status().as_u16(), 422, "{}", e.message());
        }
    }
}

// ---- keys: families, confusion, rotation (scenarios 69–70) ---------------------------

fn pem(name: &str) -> String {
    fixture(&format!("keys/{name}.pem"))
}

#[test]
fn scenario_70_every_algorithm_round_trips() {
    let clock = clock();
    let cases: &[(Algorithm, &str)] = &[
        (Algorithm::RS256, "rsa"),
        (Algorithm::RS384, "rsa"),
        (Algorithm::RS512, "rsa"),
        (Algorithm::PS256, "rsa"),
        (Algorithm::PS384, "rsa"),
        (Algorithm::PS512, "rsa"),
        (Algorithm::ES256, "ec256"),
        (Algorithm::ES384, "ec384"),
        (Algorithm::EdDSA, "ed25519"),
    ];
    for (alg, name) in cases {
        let m = JwtManager::builder()
            .algorithm(*alg)
            .private_key_pem(pem(&format!("{name}_private")))
            .public_key_pem(pem(&format!("{name}_public")))
            .clock(clock.clone())
            .build()
            .unwrap_or_else(|e| panic!("{alg:?}: {e}"));
        let t = m.access_token("alice").fresh(true).create().unwrap();
        let d = m.decode_token(&t).unwrap();
        assert_eq!((d.algorithm(), d.subject()), (*alg, Some("alice")));
        // A verification-only manager with just the public key accepts it too.
        let verifier = JwtManager::builder()
            .algorithm(*alg)
            .public_key_pem(pem(&format!("{name}_public")))
            .clock(clock.clone())
            .build()
            .unwrap();
        assert!(verifier.decode_token(&t).is_ok());
        assert_eq!(
            verifier.create_access_token("x").unwrap_err().kind(),
            ErrorKind::TokenCreation
        );
    }
    for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
        let m = JwtManager::builder()
            .algorithm(alg)
            .secret("s".repeat(64))
            .clock(clock.clone())
            .build()
            .unwrap();
        assert_eq!(
            m.decode_token(&m.create_access_token("a").unwrap())
                .unwrap()
                .algorithm(),
            alg
        );
    }
}

#[test]
fn key_confusion_hs_token_signed_with_our_public_key() {
    let clock = clock();
    let public = pem("rsa_public");
    let m = JwtManager::builder()
        .algorithm(Algorithm::RS256)
        .private_key_pem(pem("rsa_private"))
        .public_key_pem(&public)
        .clock(clock.clone())
        .build()
        .unwrap();
    let claims = base_claims().to_string();
    for secret in [public.as_str(), public.trim_end()] {
        let t = sign_raw(r#"{"alg":"HS256","typ":"JWT"}"#, &claims, secret);
        invalid(m.decode_token(&t), "The specified alg value is not allowed");
    }
    // The same PEM is refused as an HMAC secret at build time.
    assert!(matches!(
        JwtManager::builder().secret(&public).build(),
        Err(ConfigError::SecretLooksLikeKey)
    ));
}

#[test]
fn alg_is_pinned_per_key() {
    let clock = clock();
    let m = JwtManager::builder()
        .algorithm(Algorithm::ES256)
        .private_key_pem(pem("ec256_private"))
        .public_key_pem(pem("ec256_public"))
        .clock(clock)
        .build()
        .unwrap();
    let t = m.create_access_token("a").unwrap();
    let (_, rest) = t.split_once('.').unwrap();
    for alg in ["ES384", "PS256", "RS256", "EdDSA", "HS256"] {
        let forged = format!(
            "{}.{rest}",
            b64(format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#))
        );
        invalid(
            m.decode_token(&forged),
            "The specified alg value is not allowed",
        );
    }
}

#[test]
fn bad_keys_are_config_errors() {
    let b = || JwtManager::builder();
    assert!(matches!(b().build(), Err(ConfigError::MissingKey)));
    assert!(matches!(
        b().algorithm(Algorithm::RS256).build(),
        Err(ConfigError::MissingKey)
    ));
    assert!(matches!(
        b().algorithm(Algorithm::RS256)
            .private_key_pem("garbage")
            .public_key_pem("garbage")
            .build(),
        Err(ConfigError::InvalidKey { .. })
    ));
    assert!(matches!(
        b().algorithm(Algorithm::RS256)
            .private_key_pem(pem("rsa1024_private"))
            .public_key_pem(pem("rsa1024_public"))
            .build(),
        Err(ConfigError::InvalidKey { .. })
    ));
    // EC key on the wrong curve for the algorithm.
    assert!(
        b().algorithm(Algorithm::ES384)
            .private_key_pem(pem("ec256_private"))
            .public_key_pem(pem("ec256_public"))
            .build()
            .is_err()
    );
    // A mismatched pair.
    assert!(matches!(
        b().algorithm(Algorithm::ES256)
            .private_key_pem(pem("ec256_private"))
            .public_key_pem(pem("ec384_public"))
            .build(),
        Err(ConfigError::InvalidKey { .. })
    ));
    assert!(matches!(
        b().algorithm(Algorithm::RS256)
            .secret("x".repeat(40))
            .build(),
        Err(ConfigError::MissingKey)
    ));
    assert!(matches!(
        b().secret("x".repeat(40)).identity_claim("").build(),
        Err(ConfigError::InvalidOption { .. })
    ));
}

#[test]
fn scenario_69_rotation_by_kid() {
    let clock = clock();
    let old_secret = "old-secret-old-secret-old-secret-old!";
    let new_secret = "new-secret-new-secret-new-secret-new!";
    let old = JwtManager::builder()
        .key(
            Key::hmac(Algorithm::HS256, old_secret)
                .unwrap()
                .with_kid("k1"),
        )
        .clock(clock.clone())
        .build()
        .unwrap();
    let rotated = JwtManager::builder()
        .key(
            Key::hmac(Algorithm::HS256, new_secret)
                .unwrap()
                .with_kid("k2"),
        )
        .verification_key(
            Key::hmac(Algorithm::HS256, old_secret)
                .unwrap()
                .with_kid("k1"),
        )
        .verification_key(
            Key::public_pem(Algorithm::RS256, pem("rsa_public"))
                .unwrap()
                .with_kid("partner"),
        )
        .clock(clock.clone())
        .build()
        .unwrap();
    let old_token = old.create_access_token("a").unwrap();
    assert_eq!(rotated.decode_token(&old_token).unwrap().kid(), Some("k1"));
    let new_token = rotated.create_access_token("a").unwrap();
    assert_eq!(rotated.decode_token(&new_token).unwrap().kid(), Some("k2"));
    invalid(
        old.decode_token(&new_token),
        "Signature verification failed",
    );
    // Unknown kid: falls back to the current key, whose signature check fails.
    let claims = base_claims().to_string();
    for kid in [
        "nope",
        "../../../../dev/null",
        "",
        "x' UNION SELECT '1';--",
        "|sleep 10",
    ] {
        let h = json!({"alg": "HS256", "kid": kid}).to_string();
        invalid(
            rotated.decode_token(&sign_raw(&h, &claims, "1")),
            "Signature verification failed",
        );
    }
    let h = json!({"alg": "HS256", "kid": "x".repeat(600)}).to_string();
    invalid(
        rotated.decode_token(&sign_raw(&h, &claims, "1")),
        "Signature verification failed",
    );
    let t = sign_raw(r#"{"alg":"HS256","kid":5}"#, &claims, new_secret);
    invalid(
        rotated.decode_token(&t),
        "Invalid header string: kid, typ and cty must be strings",
    );
    // A kid naming an RS key with an HS alg: not allowed (alg pinned per key).
    let t = sign_raw(
        r#"{"alg":"HS256","kid":"partner"}"#,
        &claims,
        &pem("rsa_public"),
    );
    invalid(
        rotated.decode_token(&t),
        "The specified alg value is not allowed",
    );
    // Keys never print.
    let printed = format!("{rotated:?}");
    assert!(!printed.contains("secret"));
    // Duplicate kids and missing kids are config errors.
    assert!(matches!(
        JwtManager::builder()
            .key(
                Key::hmac(Algorithm::HS256, new_secret)
                    .unwrap()
                    .with_kid("k")
            )
            .verification_key(
                Key::hmac(Algorithm::HS256, old_secret)
                    .unwrap()
                    .with_kid("k")
            )
            .build(),
        Err(ConfigError::KeyId(_))
    ));
    assert!(matches!(
        JwtManager::builder()
            .secret(new_secret)
            .verification_key(Key::hmac(Algorithm::HS256, old_secret).unwrap())
            .build(),
        Err(ConfigError::KeyId(_))
    ));
}

#[test]
fn embedded_jwk_and_jku_are_ignored() {
    let (m, _) = manager();
    let attacker = "attacker-secret-attacker-secret-attacker";
    let claims = base_claims().to_string();
    for h in [
        json!({"alg": "HS256", "jwk": {"kty": "oct", "k": b64(attacker)}}),
        json!({"alg": "HS256", "jku": "http://127.0.0.1:9/jwks.json"}),
        json!({"alg": "HS256", "x5u": "http://127.0.0.1:9/cert.pem"}),
    ] {
        invalid(
            m.decode_token(&sign_raw(&h.to_string(), &claims, attacker)),
            "Signature verification failed",
        );
    }
}

#[test]
fn rfc7515_a1_positive_control() {
    // RFC 7515 Appendix A.1 (its exp is in 2011, so the clock is set before it).
    let k =
        "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
    let secret = common::unb64(k);
    let clock = jwt_extended::clock::MockClock::at_unix(1_300_000_000);
    let m = JwtManager::builder()
        .key(Key::hmac(Algorithm::HS256, secret).unwrap())
        .identity_claim("iss")
        .clock(clock)
        .build()
        .unwrap();
    let t = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let d = m.decode_token(t).unwrap();
    assert_eq!(d.claim("http://example.com/is_root"), Some(&json!(true)));
}

#[test]
fn errors_never_echo_the_token() {
    let (m, _) = manager();
    let secret_looking = "SENSITIVE";
    let header = json!({"alg": secret_looking}).to_string();
    let t = format!(
        "{}.{}.{}",
        b64(&header),
        b64(json!({"sub": secret_looking}).to_string()),
        b64(secret_looking)
    );
    let e = m.decode_token(&t).unwrap_err();
    assert!(!e.message().contains(secret_looking));
    assert!(!format!("{e:?}").contains(secret_looking));
}

// ---- environment ------------------------------------------------------------------

#[test]
fn from_env_reads_flask_variables() {
    let vars = [
        ("JWT_SECRET_KEY", SECRET),
        ("JWT_ACCESS_TOKEN_EXPIRES", "300"),
        ("JWT_REFRESH_TOKEN_EXPIRES", "false"),
        ("JWT_DECODE_LEEWAY", "5"),
        ("JWT_IDENTITY_CLAIM", "uid"),
        ("JWT_ENCODE_NBF", "false"),
        ("JWT_COOKIE_CSRF_PROTECT", "false"),
    ];
    let lookup = |name: &str| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    };
    let clock = clock();
    let m = JwtManager::builder()
        .clock(clock)
        .from_lookup(lookup)
        .unwrap()
        .build()
        .unwrap();
    let d = m
        .decode_token(&m.create_access_token("a").unwrap())
        .unwrap();
    assert_eq!(d.expires_at(), Some(NOW + 300));
    assert_eq!(d.not_before(), None);
    assert_eq!(d.csrf(), None);
    assert_eq!(d.claim("uid"), Some(&json!("a")));
    assert_eq!(m.leeway(), 5);
    let r = m
        .decode_token(&m.create_refresh_token("a").unwrap())
        .unwrap();
    assert_eq!(r.expires_at(), None);

    for (name, value) in [
        ("JWT_ACCESS_TOKEN_EXPIRES", "0"),
        ("JWT_ACCESS_TOKEN_EXPIRES", "15m"),
        ("JWT_DECODE_LEEWAY", "-1"),
        ("JWT_VERIFY_SUB", "maybe"),
        ("JWT_ALGORITHM", "HS999"),
    ] {
        let e = JwtManager::builder()
            .from_lookup(|n: &str| (n == name).then(|| value.to_string()))
            .unwrap_err();
        assert!(matches!(e, ConfigError::Env { .. }), "{name}={value}");
    }
}

#[test]
fn identity_claim_cannot_be_a_reserved_claim() {
    for name in [
        "type", "fresh", "exp", "iat", "nbf", "jti", "csrf", "pair", "family", "",
    ] {
        assert!(
            matches!(
                JwtManager::builder()
                    .secret(SECRET)
                    .identity_claim(name)
                    .build(),
                Err(ConfigError::InvalidOption { .. })
            ),
            "{name:?}"
        );
    }
    assert!(
        JwtManager::builder()
            .secret(SECRET)
            .identity_claim("user_id")
            .build()
            .is_ok()
    );
    let b = || {
        JwtManager::builder()
            .secret(SECRET)
            .encode_audience("api")
            .encode_issuer("me")
    };
    assert!(b().identity_claim("aud").build().is_err());
    assert!(b().identity_claim("iss").build().is_err());
    assert!(
        JwtManager::builder()
            .secret(SECRET)
            .identity_claim("iss")
            .build()
            .is_ok()
    );
}

#[test]
fn token_cap_must_fit_the_managers_own_tokens() {
    assert!(matches!(
        JwtManager::builder()
            .secret(SECRET)
            .max_token_len(200)
            .build(),
        Err(ConfigError::InvalidOption {
            option: "max_token_len",
            ..
        })
    ));
    let rsa = JwtManager::builder()
        .algorithm(Algorithm::RS256)
        .private_key_pem(pem("rsa_private"))
        .public_key_pem(pem("rsa_public"))
        .max_token_len(500);
    assert!(
        rsa.build().is_err(),
        "an RSA signature alone is 342 characters"
    );
    assert!(
        JwtManager::builder()
            .secret(SECRET)
            .max_token_len(1024)
            .build()
            .is_ok()
    );
}

/// `claim` answers exactly as the map does, for few claims and for many.
#[test]
fn decoded_claim_lookup_agrees_with_the_map() {
    let manager = JwtManager::builder()
        .secret("an-example-secret-of-at-least-32-bytes!")
        .build()
        .unwrap();
    let absent = [
        "", "x", "pair", "family", "su", "subx", "jt", "JTI", "exp2", "Ω",
    ];
    for extra in [0, 5, 30] {
        let mut builder = manager.access_token("alice");
        for i in 0..extra {
            builder = builder.claim(format!("c{i}"), i);
        }
        let token = builder.claim("Ω", "omega").create().unwrap();
        let decoded = manager.decode_token(&token).unwrap();
        for name in decoded.claims().keys() {
            assert_eq!(decoded.claim(name), decoded.claims().get(name), "{name}");
        }
        for name in absent.iter().chain(&["sub", "jti", "csrf", "c3", "c29"]) {
            assert_eq!(decoded.claim(name), decoded.claims().get(*name), "{name}");
        }
        assert_eq!(decoded.subject(), decoded.identity().as_str());
        assert_eq!(decoded.subject(), Some("alice"));
        assert_eq!(decoded.jti(), decoded.claims()["jti"].as_str());
        assert!(decoded.jti().is_some());
    }
}

/// Re-issued tokens carry every claim the application may set: without
/// `encode_audience` / `encode_issuer`, `aud` and `iss` are the application's own and
/// survive rotation; when the manager encodes them, they are its own and it writes them.
#[tokio::test]
async fn rotation_carries_the_claims_the_application_owns() {
    let clock = clock();
    let rotating = |b: jwt_extended::JwtManagerBuilder| {
        b.revocation_store(jwt_extended::store::MemoryStore::new().with_clock(clock.clone()))
            .refresh_rotation(StdDuration::ZERO)
            .build()
            .unwrap()
    };
    let m = rotating(builder(&clock));
    let pair = m
        .token_pair("alice")
        .claim("aud", "api")
        .claim("iss", "me")
        .claim("role", "x")
        .create()
        .unwrap();
    let rotated = m
        .rotate_refresh_token(&m.decode_token(&pair.refresh_token).unwrap())
        .await
        .unwrap();
    for token in [&rotated.access_token, &rotated.refresh_token] {
        let d = m.decode_token(token).unwrap();
        assert_eq!(d.claim("aud"), Some(&json!("api")));
        assert_eq!(d.claim("iss"), Some(&json!("me")));
        assert_eq!(d.claim("role"), Some(&json!("x")));
    }

    let m = rotating(
        builder(&clock)
            .encode_audience("svc")
            .decode_audience(["svc"])
            .encode_issuer("issuer"),
    );
    let pair = m.token_pair("alice").claim("role", "x").create().unwrap();
    let rotated = m
        .rotate_refresh_token(&m.decode_token(&pair.refresh_token).unwrap())
        .await
        .unwrap();
    let d = m.decode_token(&rotated.access_token).unwrap();
    assert_eq!(d.claim("aud"), Some(&json!("svc")));
    assert_eq!(d.claim("iss"), Some(&json!("issuer")));
    assert_eq!(d.claim("role"), Some(&json!("x")));
}
